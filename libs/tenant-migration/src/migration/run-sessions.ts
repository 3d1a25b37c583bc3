import type { PoolClient } from 'pg';
import type {
  PostgresSession,
  PostgresSessionFactory,
} from '../database/postgres-session.factory.js';
import type { TenantMergeRepository } from './tenant-merge.repository.js';

/** The PostgreSQL sessions one execution of a run works on. */
export interface RunSessions {
  /** Sessions that write batches (two overlap), or the dry run's one read-only session. */
  writers: PostgresSession[];
  /** Takes the write fence of the next batch, on a session of its own; null for a dry run. */
  takeFence: (() => Promise<string>) | null;
}

/** Sessions a real run opens: two write batches in turn, one takes the write fences. */
export const REAL_RUN_SESSIONS = 3;

/**
 * Opens `count` sessions into `opened`, one after the other. The caller releases what is in
 * `opened` whatever happens, those opened before a failure included.
 */
export const openSessions = async (
  factory: PostgresSessionFactory,
  count: number,
  opened: PostgresSession[],
): Promise<void> => {
  for (let i = 0; i < count; i++) opened.push(await factory.open());
};

/** Takes write fences on `session` with the merge's fence statement. */
export const fenceTaker =
  (merges: TenantMergeRepository, session: PostgresSession): (() => Promise<string>) =>
  () =>
    merges.fence(async (sql) => (await session.client.query<{ fence: string }>(sql)).rows);

/**
 * The dry run's one session over a client `PostgresSessionFactory.withSession` lent it: that
 * releases it, so this session's own release does nothing.
 */
export const lentSession = (client: PoolClient): PostgresSession => ({
  client,
  release: () => Promise.resolve(),
  discard: () => Promise.resolve(),
});
