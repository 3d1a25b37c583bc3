/** Shapes shared by the migration engine, its records and its callers. */

export type MigrationRunKind = 'migrate' | 'dry-run' | 'validate';
/**
 * `interrupted`: it stopped on an error, or its process died (resumable: the next migration
 * continues it); `abandoned`: a newer run superseded it; `cancelled`: an operator cancelled it
 * (what it committed stays; a later migration starts a new run). `failed` is kept for runs
 * recorded by earlier versions.
 */
export type MigrationRunStatus =
  'running' | 'completed' | 'failed' | 'interrupted' | 'abandoned' | 'cancelled';
export type ConflictPolicy = 'keep-postgres' | 'overwrite' | 'skip';
export type ExceptionBucket = 'rejected' | 'skipped';

export interface MigrationRunOptions {
  prefix: string;
  batchSize: number;
  conflictPolicy: ConflictPolicy;
  /** Restrict the run to one tenant (single-tenant sync). */
  subdomain?: string;
}

/**
 * The accounting of a run. Invariant: scanned = migrated + unchanged + skipped + rejected,
 * migrated = created + updated, and the skipped reasons add up to skipped.
 */
export interface MigrationCounts {
  scanned: number;
  migrated: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: number;
  conflicts: number;
  skippedByReason: Record<string, number>;
  rejectedByReason: Record<string, number>;
  /**
   * Accepted values that were normalised on the way (a numeric-string createdAt, a category
   * alias, sanitised text, a renamed subdomain...); `normalizedByNote` counts each note code.
   */
  normalized: number;
  normalizedByNote: Record<string, number>;
  /**
   * Keys SCAN listed again after they were accounted for (Redis rehashing, or a scan started
   * again after a server restart or failover): passed over, and not part of `scanned`.
   */
  repeated: number;
}

export interface MigrationCheckpoint {
  /** The SCAN cursor after the last committed batch; '0' once the scan finished. */
  cursor: string;
  batches: number;
  /**
   * The Redis server that issued `cursor` (its `run_id`; null when it could not be told). A
   * resume on any other server, or when it cannot be told, scans again from the beginning.
   */
  server?: string | null;
  /**
   * The run's fingerprint secret (hex): the committed batches' key fingerprints are keyed with
   * it, so a resumed run can recognise the keys already accounted for. Checkpoints written
   * before fingerprints were kept have none.
   */
  secret?: string;
}

export const emptyCounts = (): MigrationCounts => ({
  scanned: 0,
  migrated: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  rejected: 0,
  conflicts: 0,
  skippedByReason: {},
  rejectedByReason: {},
  normalized: 0,
  normalizedByNote: {},
  repeated: 0,
});

/** The sum of two accountings (by-reason tables merged). */
export const addCounts = (a: MigrationCounts, b: MigrationCounts): MigrationCounts => {
  const table = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const sum = { ...x };
    for (const [code, n] of Object.entries(y)) sum[code] = (sum[code] ?? 0) + n;
    return sum;
  };
  return {
    scanned: a.scanned + b.scanned,
    migrated: a.migrated + b.migrated,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    skipped: a.skipped + b.skipped,
    rejected: a.rejected + b.rejected,
    conflicts: a.conflicts + b.conflicts,
    skippedByReason: table(a.skippedByReason, b.skippedByReason),
    rejectedByReason: table(a.rejectedByReason, b.rejectedByReason),
    normalized: a.normalized + b.normalized,
    normalizedByNote: table(a.normalizedByNote, b.normalizedByNote),
    repeated: (a.repeated ?? 0) + (b.repeated ?? 0),
  };
};
