import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerLimitDetail, ThrottlerOptions } from '@nestjs/throttler';
import { adminRateLimitOptions, tooManyRequestsDetail } from './admin-rate-limit.js';

/** The guard never reads the context in these options' functions. */
const CONTEXT = {} as ExecutionContext;

/** The context of a request to the admin controller's handler `name`. */
const routeContext = (name: string): ExecutionContext =>
  ({
    getClass: () => class MigrationAdminController {},
    getHandler: () => ({ [name]: () => undefined })[name],
  }) as unknown as ExecutionContext;

const optionsOf = (limit: number, windowMs: number) => {
  const options = adminRateLimitOptions({ limit, windowMs });
  assert.ok(!Array.isArray(options), 'module-level options');
  return options;
};

describe('adminRateLimitOptions', () => {
  it('is one unnamed throttler of the limit per window, so its headers are the plain ones', () => {
    const { throttlers } = optionsOf(3, 10_000);
    assert.deepEqual(throttlers, [{ limit: 3, ttl: 10_000 }] satisfies ThrottlerOptions[]);
  });

  it('skips every request when the limit is 0, and none otherwise', () => {
    assert.equal(optionsOf(0, 60_000).skipIf?.(CONTEXT), true);
    assert.equal(optionsOf(600, 60_000).skipIf?.(CONTEXT), false);
  });

  it('keys the count by client alone, whatever the route', () => {
    const { generateKey } = optionsOf(3, 10_000);
    assert.ok(generateKey);
    const status = routeContext('query');
    const key = generateKey(status, '127.0.0.2', 'default');
    assert.equal(key, generateKey(routeContext('start'), '127.0.0.2', 'default'));
    assert.notEqual(key, generateKey(status, '127.0.0.3', 'default'));
  });

  it('details the refusal with the limit, the window and the wait', () => {
    const { errorMessage } = optionsOf(3, 10_000);
    assert.equal(typeof errorMessage, 'function');
    const detail = { timeToBlockExpire: 7 } as ThrottlerLimitDetail;
    const message = typeof errorMessage === 'function' ? errorMessage(CONTEXT, detail) : '';
    assert.equal(
      message,
      'too many requests: at most 3 per 10000 ms from one client; retry after 7 s',
    );
    assert.equal(message, tooManyRequestsDetail({ limit: 3, windowMs: 10_000 }, 7));
  });
});
