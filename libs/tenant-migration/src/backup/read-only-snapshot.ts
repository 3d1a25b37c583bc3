import type { PoolClient } from 'pg';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';

/** How a read-only snapshot transaction starts: one consistent view, and PostgreSQL refuses any write. */
const READ_ONLY_SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * Runs `work` in a `REPEATABLE READ READ ONLY` transaction on the client, through the session
 * factory's `transaction` (ended when `work` returns or throws).
 */
export const inReadOnlySnapshot = <T>(
  sessions: PostgresSessionFactory,
  client: PoolClient,
  work: () => Promise<T>,
): Promise<T> => sessions.transaction(client, work, READ_ONLY_SNAPSHOT);

/** Runs `work` on a session of its own, in a read-only snapshot transaction; the session is released after. */
export const inReadOnlySession = <T>(
  sessions: PostgresSessionFactory,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> =>
  sessions.withSession((client) => inReadOnlySnapshot(sessions, client, () => work(client)));
