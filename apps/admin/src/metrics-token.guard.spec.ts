import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

const ADMIN = 'admin-token-0123456789';
const METRICS = 'metrics-token-0123456789';

/** A ConfigService over fixed variables. */
const configOf = (env: Partial<EnvironmentVariables>) =>
  ({ get: (name: keyof EnvironmentVariables) => env[name] }) as unknown as ConfigService<
    EnvironmentVariables,
    true
  >;

/** A request context with this Authorization header (or none). */
const contextWith = (authorization?: string) =>
  ({
    switchToHttp: () => ({ getRequest: () => ({ headers: { authorization } }) }),
  }) as unknown as ExecutionContext;

const admits = (guard: MetricsTokenGuard, authorization?: string): boolean => {
  try {
    return guard.canActivate(contextWith(authorization));
  } catch (error) {
    assert.ok(error instanceof UnauthorizedException);
    return false;
  }
};

describe('MetricsTokenGuard', () => {
  it('admits METRICS_TOKEN only, when it is set', () => {
    const guard = new MetricsTokenGuard(configOf({ ADMIN_TOKEN: ADMIN, METRICS_TOKEN: METRICS }));
    assert.equal(admits(guard, `Bearer ${METRICS}`), true);
    assert.equal(admits(guard, `bearer ${METRICS}`), true);
    assert.equal(admits(guard, `Bearer ${ADMIN}`), false);
    assert.equal(admits(guard, undefined), false);
    assert.equal(admits(guard, METRICS), false);
    assert.equal(admits(guard, `Bearer ${METRICS}x`), false);
  });

  it('admits ADMIN_TOKEN when METRICS_TOKEN is unset', () => {
    const guard = new MetricsTokenGuard(configOf({ ADMIN_TOKEN: ADMIN }));
    assert.equal(admits(guard, `Bearer ${ADMIN}`), true);
    assert.equal(admits(guard, `Bearer ${METRICS}`), false);
  });

  it('refuses to exist without either token: the metrics are never open', () => {
    assert.throws(
      () => new MetricsTokenGuard(configOf({})),
      /neither METRICS_TOKEN nor ADMIN_TOKEN/,
    );
  });
});
