import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { redisReady } from '../common/redis-ready.js';
import { withTimeout } from '../common/with-timeout.js';
import { StoreUnavailableError } from '../errors/index.js';

/**
 * How long a request waits to learn whether a store answers. Without a bound, ioredis holds a
 * command in its offline queue through ~20 reconnection attempts (a `validate` answered its 503
 * after 42 s), and a migration was accepted (202) only to fail once it first read Redis.
 */
export const STORE_READINESS_TIMEOUT_MS = 2000;

export type Store = 'postgres' | 'redis';

const STORE_NAMES: Record<Store, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

const postgresAnswers = async (dataSource: DataSource, timeoutMs: number): Promise<void> => {
  if (!dataSource.isInitialized) throw new Error('the DataSource is not initialized');
  await withTimeout(dataSource.query('SELECT 1'), timeoutMs, 'PostgreSQL');
};

const redisAnswers = async (redis: Redis, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  // A client that is reconnecting settles at its next attempt's error (or success), not its last.
  await redisReady(redis, timeoutMs);
  await withTimeout(redis.ping(), Math.max(1, deadline - Date.now()), 'Redis');
};

/**
 * Resolves once each store in `needs` has answered a trivial command, or throws
 * StoreUnavailableError (503 `store-unavailable`) naming the ones that did not, within about
 * `timeoutMs` (the stores are asked at once). The message names the store only: the client's
 * error (host, port, cause) goes no further than the error's `cause`.
 */
export const assertStoresAnswer = async (
  stores: { dataSource: DataSource; redis: Redis },
  needs: readonly Store[],
  timeoutMs = STORE_READINESS_TIMEOUT_MS,
): Promise<void> => {
  const checks = needs.map((store) =>
    store === 'postgres'
      ? postgresAnswers(stores.dataSource, timeoutMs)
      : redisAnswers(stores.redis, timeoutMs),
  );
  const outcomes = await Promise.allSettled(checks);
  const down = needs.filter((_store, index) => outcomes[index].status === 'rejected');
  if (down.length === 0) return;
  const causes = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
  );
  throw new StoreUnavailableError(
    `${down.map((store) => STORE_NAMES[store]).join(' and ')} ${down.length > 1 ? 'are' : 'is'} unavailable: nothing was done; try again once ${down.length > 1 ? 'they answer' : 'it answers'}`,
    { stores: down },
    { cause: causes.length === 1 ? causes[0] : new AggregateError(causes) },
  );
};
