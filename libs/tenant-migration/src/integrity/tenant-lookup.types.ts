/** What a lookup of one tenant answers: both stores' copies, how they compare, and its history. */
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { AuditLogEntity } from '../audit/audit-log.entity.js';
import type { ExceptionBucket } from '../migration/migration.types.js';
import type { PendingWriteBack } from '../tenants/redis-write-back.queue.js';
import type { TenantEntity } from '../tenants/tenant.entity.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import type { FieldDifference } from './integrity.types.js';

/**
 * How the two stores' copies of a tenant compare, in the integrity check's terms: `matching`
 * (every compared field equal), `different`, `only-in-redis` (a valid record PostgreSQL does not
 * have), `only-in-postgres` (no Redis key), `invalid-in-redis` (the key holds what a migration
 * rejects, whatever PostgreSQL has). A tenant in neither store is no state: it is not found.
 */
export type TenantLookupState =
  'matching' | 'different' | 'only-in-redis' | 'only-in-postgres' | 'invalid-in-redis';

/** The tenant's Redis key as it is: never evaluated, only shown. */
export interface TenantLookupRedis {
  /** `string`, `hash`, `list`, `set`, `zset`, `stream`... */
  type: string;
  /** Remaining time to live in ms; null when the key has none. */
  ttlMs: number | null;
  /** The string's length in bytes; null for another type. */
  bytes: number | null;
  /**
   * The value as text when it is a string whose bytes shown are valid UTF-8 (when truncated,
   * the text of the bytes shown, without a character the cut split); else null.
   */
  text: string | null;
  /** The first 256 bytes as hex when the bytes shown are not valid UTF-8; else null. */
  hexPrefix: string | null;
  /** The value is longer than the bytes shown (`TENANT_LOOKUP_SHOWN_BYTES`). */
  truncated: boolean;
  /** The tenant as a migration maps the value (same classification); null when it rejects it. */
  mapped: TenantRecord | null;
  /** Why a migration rejects the value; empty when it is mapped. */
  reasons: OutcomeReason[];
  /** What the mapping normalised on the way (a renamed subdomain, sanitized text...). */
  notes: OutcomeReason[];
}

/** A run that quarantined the tenant's key. */
export interface TenantLookupException {
  runId: string;
  /** The key as the quarantine names it. */
  key: string;
  bucket: ExceptionBucket;
  reasons: OutcomeReason[];
  /** When the run recorded it. */
  at: Date;
}

/** What happened to the tenant, newest first. */
export interface TenantLookupHistory {
  /** The runs that rejected or skipped its key (at most `TENANT_LOOKUP_HISTORY_LIMIT`). */
  exceptions: TenantLookupException[];
  /** Audit entries whose `params.subdomain` names it (at most `TENANT_LOOKUP_HISTORY_LIMIT`). */
  audit: AuditLogEntity[];
  /** Its pending Redis write-back, if any (what `sync --pending` replays). */
  writeBacks: PendingWriteBack[];
  /** When a migration (or a sync) last wrote its row; null without one. */
  migratedAt: Date | null;
  /** When its row was last written; null without a row. */
  updatedAt: Date | null;
}

/** One tenant in both stores (`GET <resources>/tenants/:subdomain`). */
export interface TenantLookup {
  /** The normalised subdomain. */
  subdomain: string;
  /** Its Redis key: the one its row was migrated from, else prefix + subdomain. */
  key: string;
  state: TenantLookupState;
  /** The key; null when it does not exist. */
  redis: TenantLookupRedis | null;
  /** The tenants row; null when PostgreSQL does not have it. */
  postgres: TenantEntity | null;
  /**
   * Every compared field in which the mapped Redis record and the row differ, with both values
   * (the integrity check's comparison); empty unless both stores hold a valid tenant.
   */
  fields: FieldDifference[];
  /** The Redis value is not the one last migrated; null unless the row and a whole string value exist. */
  changedInRedis: boolean | null;
  /** The row was written after its last migration; null without a row. */
  changedInPostgres: boolean | null;
  /**
   * Cleanup deleted the key on purpose, and the row still holds the value it had: the check
   * counts the tenant as cleaned up, not as drift.
   */
  cleanedUp: boolean;
  history: TenantLookupHistory;
}
