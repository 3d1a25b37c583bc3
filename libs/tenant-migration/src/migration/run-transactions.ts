import type { PoolClient, QueryResult } from 'pg';

/**
 * The transaction statements of a real run's batches, so that the engine's services hold no
 * SQL. A batch's transaction is opened by `PostgresSessionFactory.transactionCommittedBy` and
 * committed together with its checkpoint (`MigrationRunRepository.checkpointAndCommit`): one
 * round trip for the commit. The statements are constants: nothing is built per batch or key.
 */

/**
 * The batch and its checkpoint commit together, so a server crash that loses the last commits
 * only rewinds the checkpoint with them: no need to wait for the WAL (asynchronous commit).
 * The savepoint `batch` lets a batch PostgreSQL refuses be merged again one record at a time.
 */
export const BATCH_BEGIN = 'BEGIN; SET LOCAL synchronous_commit TO OFF; SAVEPOINT batch';

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

export const savepoint = (client: PoolClient, name: BatchSavepoint): Promise<QueryResult> =>
  client.query(SAVEPOINT[name]);

export const rollbackToSavepoint = (
  client: PoolClient,
  name: BatchSavepoint,
): Promise<QueryResult> => client.query(ROLLBACK_TO[name]);

export const releaseSavepoint = (client: PoolClient, name: BatchSavepoint): Promise<QueryResult> =>
  client.query(RELEASE[name]);
