/** What a sync is asked and what it answers. */

export type SyncDirection = 'redis-to-postgres' | 'postgres-to-redis' | 'none';

/**
 * What the sync did to the store it changed: wrote the tenant, deleted it (a key deleted or
 * expired in Redis is followed by deleting the row), or nothing.
 */
export type SyncChange = 'write' | 'delete' | 'none';

export interface SyncRequest {
  /** Which side wins when both changed since the last migration (otherwise that is refused). */
  prefer?: 'redis' | 'postgres';
  /** Decide and report, change nothing. */
  dryRun?: boolean;
  actor?: string;
}

export interface SyncAllResult {
  dryRun: boolean;
  /** Tenants considered: the drifted ones the check found, or (syncPending) the queued write-backs. */
  drifted: number;
  synced: number;
  byDirection: Partial<Record<SyncDirection, number>>;
  /** Synced tenants by what was done: a `delete` is counted under `redis-to-postgres` above too. */
  byChange: Partial<Record<SyncChange, number>>;
  /** Tenants that could not be synced, with why (e.g. both sides changed and no side preferred). */
  refused: { subdomain: string; reason: string }[];
  results: SyncResult[];
}

export interface SyncResult {
  subdomain: string;
  /** The tenant's Redis key: the one it was migrated from (`source_key`), else prefix + subdomain. */
  key: string;
  direction: SyncDirection;
  /** What was done (in a dry run: what would be) to the side the direction points to. */
  change: SyncChange;
  /** Why this direction (or why nothing was done). */
  reason: string;
  dryRun: boolean;
}

/** One tenant to sync; `key` names its Redis key when the caller knows it and PostgreSQL has no row. */
export interface SyncTarget {
  subdomain: string;
  key?: string | null;
}

/** A sync's decision: which way, what change, and why. */
export type SyncDecision = Pick<SyncResult, 'direction' | 'change' | 'reason'>;
export const decision = (
  direction: SyncDirection,
  change: SyncChange,
  reason: string,
): SyncDecision => ({ direction, change, reason });
