/** Shapes of the consistency check between Redis and PostgreSQL. */

export interface FieldDifference {
  /** The tenant field, as in the enhanced format (e.g. `businessName`, `subscription.plan`). */
  field: string;
  redis: unknown;
  postgres: unknown;
}

export type DriftKind = 'only-in-redis' | 'only-in-postgres' | 'different';

export interface TenantDrift {
  kind: DriftKind;
  subdomain: string;
  /** The Redis key (for only-in-postgres: the key it was migrated from, if any). */
  key: string | null;
  /** For `different`: every mapped field that differs, with both values. */
  fields?: FieldDifference[];
  /** For `different`: PostgreSQL was written after the tenant's last migration. */
  changedInPostgres?: boolean;
  /** For `different`: the Redis value is not the one last migrated. */
  changedInRedis?: boolean;
}

export interface InvalidRedisRecord {
  key: string;
  reasons: { code: string; message: string; field?: string }[];
}

export interface IntegrityReport {
  consistent: boolean;
  /** Keys SCAN returned: valid + invalid + skipped. */
  redisKeys: number;
  valid: number;
  /** Known-invalid records (what a migration rejects): reported apart from drift. */
  invalid: number;
  /** Vanished between SCAN and GET. (A key SCAN returns twice is counted once.) */
  skipped: number;
  postgresTenants: number;
  /** Tenants whose Redis key cleanup deleted on purpose (same value): not drift. */
  cleanedUp: number;
  /** In both stores, every mapped field equal. */
  matching: number;
  onlyInRedis: number;
  onlyInPostgres: number;
  different: number;
  /** The first `limit` drifts (all when limit is 0), ordered by kind then subdomain. */
  drift: TenantDrift[];
  /** More drifts exist than were listed. */
  truncated: boolean;
  invalidRecords: InvalidRedisRecord[];
  durationMs: number;
}

/** What the scan of the Redis side tallied. */
export interface KeyspaceTally {
  scanned: number;
  valid: number;
  invalid: number;
  skipped: number;
  /** The first `limit` invalid records (all when limit is 0). */
  invalidRecords: InvalidRedisRecord[];
}

/**
 * Where a suspended check left off: the unlogged tables that keep the Redis side it staged and
 * its scan's memory (named by `parts`), the SCAN cursor after the last batch staged with the
 * server that issued it, and the tally so far.
 */
export interface IntegrityCheckpoint {
  /** 32 hex digits: the tables are `integrity_check_<parts>_stage`, `_invalid` and `_state`. */
  parts: string;
  cursor: string;
  server: string | null;
  tally: KeyspaceTally;
}
