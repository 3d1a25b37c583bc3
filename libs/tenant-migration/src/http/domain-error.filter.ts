import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { TenantMigrationError, type ErrorKind } from '../errors/index.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-input': HttpStatus.BAD_REQUEST,
  'invalid-data': HttpStatus.UNPROCESSABLE_ENTITY,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * Maps the library's domain errors to HTTP statuses with their message and code; anything
 * unexpected becomes a 500 without internals (the details go to the log).
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(DomainErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      // Some (e.g. the body parser's 413) carry a bare string: answer the usual JSON object.
      response.status(status).json(typeof body === 'string' ? { statusCode: status, message: body } : body);
      return;
    }
    if (error instanceof TenantMigrationError) {
      const status = STATUS[error.kind];
      response.status(status).json({ statusCode: status, error: error.code, message: error.message });
      return;
    }
    this.logger.error(error instanceof Error ? error.stack : String(error));
    response.status(500).json({ statusCode: 500, error: 'internal', message: 'internal error; see the server log' });
  }
}
