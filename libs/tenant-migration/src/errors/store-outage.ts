import { plainStoreDetail } from './store-detail.js';
import { StoreUnavailableError } from './store-unavailable.error.js';
import { TenantMigrationError } from './tenant-migration.error.js';

type StoreName = 'PostgreSQL' | 'Redis';

/** SQLSTATE 55P03: a statement gave up waiting for a lock (`lock_timeout`). */
const LOCK_NOT_AVAILABLE = '55P03';

/** SQLSTATEs of a server that is going away or cannot take the connection: class 08, shutdowns, too many connections. */
const isPostgresOutageCode = (code: string): boolean =>
  code.startsWith('08') ||
  code === '57P01' ||
  code === '57P02' ||
  code === '57P03' ||
  code === '53300';

/** What pg and pg-pool say when the connection is gone or cannot be had. */
const POSTGRES_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
];

/**
 * A connection's own socket failing. ioredis never fails a command with one (it reconnects and
 * fails pending commands with its own errors, matched below), while pg hands the socket's error
 * to the statement in flight: so such an error is PostgreSQL's.
 */
const SOCKET_ERRNOS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** What ioredis says when a command cannot be delivered or answered. */
const REDIS_MESSAGES = [
  /^Connection is closed\.?$/,
  /^Command timed out$/,
  /^Command aborted due to connection close$/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
];

const stringField = (error: object, field: string): string | undefined => {
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
};

/** Which store an error (not a domain error) says went away, if it says so. */
const outageStore = (error: object): StoreName | null => {
  const message = stringField(error, 'message') ?? '';
  const name = stringField(error, 'name');
  if (
    name === 'MaxRetriesPerRequestError' ||
    REDIS_MESSAGES.some((pattern) => pattern.test(message))
  )
    return 'Redis';
  // TypeORM's QueryFailedError carries the driver's SQLSTATE as `code` too.
  const code = stringField(error, 'code');
  if (code && /^[0-9A-Z]{5}$/.test(code) && isPostgresOutageCode(code)) return 'PostgreSQL';
  if (POSTGRES_MESSAGES.some((pattern) => pattern.test(message))) return 'PostgreSQL';
  if (name === 'PostgresReplyTimeoutError') return 'PostgreSQL';
  if (code && SOCKET_ERRNOS.has(code) && stringField(error, 'syscall') !== undefined)
    return 'PostgreSQL';
  return null;
};

interface Outage {
  /** What happened, in an operator's words. */
  what: string;
  /** When trying again makes sense. */
  retry: string;
}

const outageOf = (error: unknown): Outage | null => {
  for (
    let current: unknown = error, depth = 0;
    current !== null && typeof current === 'object' && depth < 8;
    depth++
  ) {
    if (current instanceof TenantMigrationError && depth === 0) return null;
    if (stringField(current, 'code') === LOCK_NOT_AVAILABLE) {
      return {
        what: 'PostgreSQL: another session held a lock this needs for longer than the lock timeout',
        retry: 'try again once it is released',
      };
    }
    const store = outageStore(current);
    if (store)
      return {
        what: `${store} stopped answering (${plainStoreDetail(stringField(current, 'message') ?? 'the connection was lost')})`,
        retry: 'try again once it answers',
      };
    current = (current as { cause?: unknown }).cause;
  }
  return null;
};

/**
 * What a store's client failing while work was under way says, in an operator's words
 * (`PostgreSQL stopped answering (read ECONNRESET)`): PostgreSQL shut down, the connection reset
 * or a lock not granted in time, Redis gone past its reconnection attempts or silent past its
 * command timeout. Follows `cause` chains; null for any other error, and for a domain error,
 * which is mapped on its own (a StoreUnavailableError is already one).
 */
export const describeStoreOutage = (error: unknown): string | null => outageOf(error)?.what ?? null;

/**
 * Such a failure as the StoreUnavailableError it is, so that the caller answers 503 / exit 3
 * rather than an internal error; null for any other error.
 */
export const storeOutageOf = (error: unknown): StoreUnavailableError | null => {
  const outage = outageOf(error);
  return (
    outage && new StoreUnavailableError(`${outage.what}; ${outage.retry}`, {}, { cause: error })
  );
};
