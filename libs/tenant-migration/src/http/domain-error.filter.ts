import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { storeOutageOf, TenantMigrationError, type ErrorKind } from '../errors/index.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-input': HttpStatus.BAD_REQUEST,
  'invalid-data': HttpStatus.UNPROCESSABLE_ENTITY,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * An RFC 9457 problem document. `code` is the stable machine-readable name (a domain error's
 * code, or the HTTP reason in kebab case); `statusCode`, `error` and `message` are the members
 * this API answered before problem details, kept for the clients that read them.
 */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  statusCode: number;
  error: string;
  message: string | string[];
  /** Extension members of a domain error (`problemMembers`), such as `operationId`. */
  [member: string]: unknown;
}

const reasonOf = (status: number): string => STATUS_CODES[status] ?? 'Error';
const kebab = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The message(s) of an HttpException's body: Nest's validation gives a list, others a string. */
const messageOf = (body: string | object, status: number): string | string[] => {
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((m): m is string => typeof m === 'string'))
    return message;
  return reasonOf(status);
};

/**
 * The problem document of an HTTP status that no domain error names (a 401, 404, 413, 415, a
 * validation's 400, or a request the HTTP server could not parse): its reason as the title and,
 * in kebab case, as the code; the message(s) joined as the one-line detail.
 */
export const httpProblem = (status: number, message: string | string[]): ProblemDocument => {
  const title = reasonOf(status);
  return {
    type: 'about:blank',
    title,
    status,
    detail: Array.isArray(message) ? message.join('; ') : message,
    code: kebab(title),
    statusCode: status,
    error: title,
    message,
  };
};

const fromHttpException = (error: HttpException): ProblemDocument => {
  const status = error.getStatus();
  return httpProblem(status, messageOf(error.getResponse(), status));
};

const fromDomainError = (error: TenantMigrationError): ProblemDocument => {
  const status = STATUS[error.kind];
  return {
    type: `urn:tenant-migrate:problem:${error.code}`,
    title: reasonOf(status),
    status,
    detail: error.message,
    code: error.code,
    statusCode: status,
    error: error.code,
    message: error.message,
    ...error.problemMembers(),
  };
};

/**
 * Answers every error as a problem document (`application/problem+json`): the library's domain
 * errors with their status, code and message; Nest's HTTP exceptions (401, 404, 413, 415, the
 * validation's 400) with theirs; a store that went away while the request was being served as
 * a 503 `store-unavailable`, never a 500; anything else as a 500 without internals (the details
 * go to the log).
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(DomainErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const problem = this.problemOf(error);
    // A response already under way (a stream that failed midway) cannot change its status.
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  private problemOf(error: unknown): ProblemDocument {
    if (error instanceof HttpException) return fromHttpException(error);
    if (error instanceof TenantMigrationError) return fromDomainError(error);
    const outage = storeOutageOf(error);
    if (outage) return fromDomainError(outage);
    this.logger.error(error instanceof Error ? error.stack : String(error));
    return {
      ...httpProblem(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error; see the server log'),
      code: 'internal',
      error: 'internal',
    };
  }
}
