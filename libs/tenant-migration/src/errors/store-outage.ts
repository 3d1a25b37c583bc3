import { plainStoreDetail } from './store-detail.js';
import { StoreUnavailableError } from './store-unavailable.error.js';
import { TenantMigrationError } from './tenant-migration.error.js';

type StoreName = 'PostgreSQL' | 'Redis';

/** SQLSTATE 55P03: a statement gave up waiting for a lock (`lock_timeout`). */
const LOCK_NOT_AVAILABLE = '55P03';

/** SQLSTATEs of a server that is going away or cannot take the connection: class 08, shutdowns, too many connections. */
const isPostgresOutageCode = (code: string): boolean => code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';

/** What pg and pg-pool say when the connection is gone or cannot be had. */
const POSTGRES_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error and is not queryable/];

/** What ioredis says when a command cannot be delivered or answered. */
const REDIS_MESSAGES = [/^Connection is closed\.?$/, /^Command timed out$/, /^Stream isn't writeable/, /^Reached the max retries per request limit/];

const stringField = (error: object, field: string): string | undefined => {
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
};

/** Which store an error (not a domain error) says went away, if it says so. */
const outageStore = (error: object): StoreName | null => {
  const message = stringField(error, 'message') ?? '';
  const name = stringField(error, 'name');
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((pattern) => pattern.test(message))) return 'Redis';
  // TypeORM's QueryFailedError carries the driver's SQLSTATE as `code` too.
  const code = stringField(error, 'code');
  if (code && /^[0-9A-Z]{5}$/.test(code) && isPostgresOutageCode(code)) return 'PostgreSQL';
  if (POSTGRES_MESSAGES.some((pattern) => pattern.test(message))) return 'PostgreSQL';
  return null;
};

/**
 * A store's client failing while work was under way (PostgreSQL shut down, the connection reset
 * or a lock not granted in time, Redis gone past its reconnection attempts or silent past its
 * command timeout), as the
 * StoreUnavailableError it is, so that the caller answers 503 / exit 3 rather than an internal
 * error. Follows `cause` chains; null for any other error. Domain errors are left to their
 * own mapping (a StoreUnavailableError is already one).
 */
export const storeOutageOf = (error: unknown): StoreUnavailableError | null => {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 8; depth++) {
    if (current instanceof TenantMigrationError && depth === 0) return null;
    if (stringField(current, 'code') === LOCK_NOT_AVAILABLE) {
      return new StoreUnavailableError(
        "PostgreSQL: another session held a lock this needs for longer than the lock timeout; try again once it is released",
        { store: 'PostgreSQL' },
        { cause: error },
      );
    }
    const store = outageStore(current);
    if (store) {
      const detail = plainStoreDetail(stringField(current, 'message') ?? 'the connection was lost');
      return new StoreUnavailableError(`${store} stopped answering (${detail}); try again once it answers`, { store }, { cause: error });
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
};
