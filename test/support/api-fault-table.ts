/**
 * The judgement of the admin API's fault tables: every row names a route, a fault and the
 * answer the README documents (status, problem `code`, a pattern for the `detail`); the answer
 * must be that RFC 9457 problem document, with the legacy members `statusCode`, `error` and
 * `message` beside it, never a 500; and `/health` must answer afterwards.
 */
import assert from 'node:assert/strict';
import type request from 'supertest';
import { assertProblem } from './problem.js';

/** A request still unanswered after this fails its row as a hang. */
export const ANSWER_BOUND_MS = 20_000;

export interface ApiFaultRow {
  /** Method and route, e.g. `POST /api/admin/migration`. */
  route: string;
  fault: string;
  send: () => request.Test;
  status: number;
  code: string;
  detail: RegExp;
}

export const rowName = (row: Pick<ApiFaultRow, 'route' | 'fault' | 'status' | 'code'>): string =>
  `${row.route}: ${row.fault} -> ${row.status} ${row.code}`;

/** Sends the request, failing (not hanging) if it is not answered within the bound. */
export const answerOf = async (req: request.Test, label: string): Promise<request.Response> => {
  try {
    return await req.timeout(ANSWER_BOUND_MS);
  } catch (error) {
    const timedOut = (error as { timeout?: unknown }).timeout !== undefined;
    if (timedOut) assert.fail(`${label}: no answer within ${ANSWER_BOUND_MS / 1000} s: it hangs`);
    throw error;
  }
};

/** The row's problem document, the legacy members included, and never a 500. */
export const assertProblemAnswer = (
  res: request.Response,
  row: Pick<ApiFaultRow, 'status' | 'code' | 'detail'>,
  label: string,
): void => {
  assert.notEqual(res.status, 500, `${label}: a 500 (${res.text.slice(0, 500)})`);
  const type = String(res.headers['content-type'] ?? 'none');
  assert.match(
    type,
    /^application\/problem\+json/,
    `${label}: ${res.status} with Content-Type ${type} and body ${JSON.stringify(res.text.slice(0, 200))}, not a problem document`,
  );
  const problem = assertProblem(res, row.status, row.code, row.detail, label);
  assert.equal(typeof problem.error, 'string', `${label}: error`);
  const message = Array.isArray(problem.message) ? problem.message.join('; ') : problem.message;
  assert.equal(message, problem.detail, `${label}: message says what detail says`);
  assert.doesNotMatch(res.text, /\n\s+at |node:internal|node_modules/, `${label}: no stack trace`);
};

/** The body of a healthy `/health`. */
export const HEALTHY = { status: 'ok', postgres: 'up', redis: 'up' } as const;
