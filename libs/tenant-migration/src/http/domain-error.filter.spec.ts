import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentsHost } from '@nestjs/common';
import * as errors from '../errors/index.js';
import { TenantMigrationError } from '../errors/index.js';
import { OperationFailedError } from '../operations/operation-error.js';
import { DomainErrorFilter, PROBLEM_CONTENT_TYPE } from './domain-error.filter.js';

/** What the filter wrote to a response. */
interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

const answerOf = (error: unknown): Answer => {
  const answer: Partial<Answer> = {};
  const response = {
    headersSent: false,
    status(code: number) {
      answer.status = code;
      return this;
    },
    type(type: string) {
      answer.type = type;
      return this;
    },
    send(text: string) {
      answer.body = JSON.parse(text) as Record<string, unknown>;
      return this;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => response }),
  } as unknown as ArgumentsHost;
  new DomainErrorFilter().catch(error, host);
  return answer as Answer;
};

/** One instance of every domain error class the library exports, whatever its constructor. */
const everyDomainError = (): TenantMigrationError[] => {
  const classes = (Object.values(errors) as unknown[]).filter(
    (value): value is new (...args: never[]) => TenantMigrationError =>
      typeof value === 'function' &&
      (value as { prototype: unknown }).prototype instanceof TenantMigrationError,
  );
  const made = classes.map((Class) => {
    const build = Class as unknown as new (...args: unknown[]) => TenantMigrationError;
    if (Class === errors.RunInterruptedError) return new build('run-1', new Error('lost'));
    if (Class === errors.OperationStoppedError) return new build('cancel', {});
    if (Class === errors.OperationConflictError) return new build('held', 'op-1', {});
    return new build(`a ${Class.name}`, {});
  });
  made.push(
    new OperationFailedError('op-2', { code: 'migration-locked', kind: 'conflict', message: 'm' }),
  );
  return made;
};

const STATUS_OF_KIND: Record<string, number> = {
  'invalid-input': 400,
  'invalid-data': 422,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

describe('DomainErrorFilter', () => {
  it('answers every domain error class as a problem document with its code and status', () => {
    const all = everyDomainError();
    assert.ok(all.length >= 24, `${all.length} classes`);
    for (const error of all) {
      const { status, type, body } = answerOf(error);
      const label = error.constructor.name;
      assert.equal(type, PROBLEM_CONTENT_TYPE, label);
      assert.equal(status, STATUS_OF_KIND[error.kind], label);
      assert.equal(body.type, `urn:tenant-migrate:problem:${error.code}`, label);
      assert.equal(body.code, error.code, label);
      assert.equal(body.status, status, label);
      assert.equal(body.statusCode, status, label);
      assert.equal(body.error, error.code, label);
      assert.equal(body.detail, error.message, label);
      assert.equal(typeof body.title, 'string', label);
    }
  });

  it('carries a conflict holder’s operation id as an extension member', () => {
    const { body } = answerOf(new errors.OperationConflictError('held', 'op-9'));
    assert.equal(body.operationId, 'op-9');
  });

  it('answers anything else as a bare 500 problem document', () => {
    const { status, type, body } = answerOf(new Error('secret details'));
    assert.equal(status, 500);
    assert.equal(type, PROBLEM_CONTENT_TYPE);
    assert.equal(body.detail, 'internal error; see the server log');
    assert.doesNotMatch(JSON.stringify(body), /secret/);
  });
});
