import type { PoolClient, QueryResult } from 'pg';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';

/**
 * The transaction statements of a migration run, so that the engine's services hold no SQL.
 *
 * A dry run reads through one read-only snapshot, opened and closed by
 * `PostgresSessionFactory.transaction`. A batch of a real run opens its own transaction here
 * and commits it together with its checkpoint (`MigrationRunRepository.checkpointAndCommit`):
 * one round trip for the commit, where the factory's `transaction` would send a COMMIT of its
 * own after every batch. The statements are constants: nothing is built per batch or per key.
 */

/** A dry run's view: one consistent snapshot, and nothing can be written through it. */
const DRY_RUN_BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * The batch and its checkpoint commit together, so a server crash that loses the last commits
 * only rewinds the checkpoint with them: no need to wait for the WAL (asynchronous commit).
 * The savepoint `batch` lets a batch PostgreSQL refuses be merged again one record at a time.
 */
const BATCH_BEGIN = 'BEGIN; SET LOCAL synchronous_commit TO OFF; SAVEPOINT batch';

/** The savepoints of a batch: the whole batch, one record of it, its exceptions. */
export type BatchSavepoint = 'batch' | 'one' | 'exceptions';

const SAVEPOINT: Record<BatchSavepoint, string> = {
  batch: 'SAVEPOINT batch',
  one: 'SAVEPOINT one',
  exceptions: 'SAVEPOINT exceptions',
};
const ROLLBACK_TO: Record<BatchSavepoint, string> = {
  batch: 'ROLLBACK TO SAVEPOINT batch',
  one: 'ROLLBACK TO SAVEPOINT one',
  exceptions: 'ROLLBACK TO SAVEPOINT exceptions',
};
const RELEASE: Record<BatchSavepoint, string> = {
  batch: 'RELEASE SAVEPOINT batch',
  one: 'RELEASE SAVEPOINT one',
  exceptions: 'RELEASE SAVEPOINT exceptions',
};

/** Runs `work` in the dry run's read-only snapshot on `client`; nothing it does can write. */
export const inReadOnlySnapshot = <T>(
  sessions: PostgresSessionFactory,
  client: PoolClient,
  work: () => Promise<T>,
): Promise<T> => sessions.transaction(client, work, DRY_RUN_BEGIN);

/** Opens a batch's transaction (asynchronous commit) and its savepoint `batch`. */
export const beginBatch = (client: PoolClient): Promise<QueryResult> => client.query(BATCH_BEGIN);

export const savepoint = (client: PoolClient, name: BatchSavepoint): Promise<QueryResult> =>
  client.query(SAVEPOINT[name]);

export const rollbackToSavepoint = (
  client: PoolClient,
  name: BatchSavepoint,
): Promise<QueryResult> => client.query(ROLLBACK_TO[name]);

export const releaseSavepoint = (client: PoolClient, name: BatchSavepoint): Promise<QueryResult> =>
  client.query(RELEASE[name]);

/** Abandons a batch's transaction (after a failure). */
export const rollbackBatch = (client: PoolClient): Promise<QueryResult> => client.query('ROLLBACK');
