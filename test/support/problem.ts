/** Expected RFC 9457 problem documents of the admin API, and the assertion every error answer passes. */
import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'supertest';
import type { ProblemDocument } from '#tenant-migration';

/** The library's problem document: the shape every error answer has. */
export type Problem = ProblemDocument;

const titleOf = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** The document of a domain error: its code names the problem type. */
export const domainProblem = (status: number, code: string, message: string): Problem => ({
  type: `urn:tenant-migrate:problem:${code}`,
  title: titleOf(status),
  status,
  detail: message,
  code,
  statusCode: status,
  error: code,
  message,
});

/** The document of a plain HTTP error (401, 404, 413, 415, a validation 400). */
export const httpProblem = (status: number, message: string | string[]): Problem => {
  const title = titleOf(status);
  return {
    type: 'about:blank',
    title,
    status,
    detail: Array.isArray(message) ? message.join('; ') : message,
    code: title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, ''),
    statusCode: status,
    error: title,
    message,
  };
};

export const INTERNAL_PROBLEM: Problem = {
  ...httpProblem(500, 'internal error; see the server log'),
  code: 'internal',
  error: 'internal',
};

/**
 * An error answer: the status, `application/problem+json`, every member of a problem document
 * consistent with the status, the `code` when given, and a `detail` matching `detail`.
 */
export const assertProblem = (
  res: Response,
  status: number,
  code?: string,
  detail?: RegExp,
  label = '',
): Problem => {
  assert.equal(res.status, status, `${label} ${res.status} ${JSON.stringify(res.body)}`);
  assert.match(
    String(res.headers['content-type']),
    /^application\/problem\+json; charset=utf-8$/,
    label,
  );
  const body = res.body as Problem;
  assert.equal(body.status, status, label);
  assert.equal(body.statusCode, status, label);
  assert.equal(body.title, titleOf(status), label);
  assert.equal(typeof body.type, 'string', label);
  assert.equal(typeof body.detail, 'string', label);
  assert.ok(body.detail.length > 0, label);
  assert.doesNotMatch(body.detail, /\n\s+at |node:internal/, `${label} no stack trace`);
  if (code !== undefined) assert.equal(body.code, code, label);
  if (detail !== undefined) assert.match(body.detail, detail, label);
  return body;
};
