/**
 * The admin API's answers as the dashboard reads them. Where the library states an answer in a
 * module of plain types, the dashboard uses that type as it travels in JSON (`Wire`: dates
 * become strings), so the two cannot drift apart; the rest mirror the OpenAPI document
 * (`/api/docs-json`). Every value is data to print, never markup.
 */
import type {
  BackupSummary,
  BackupVerifyReport,
  RedisRestoreReport,
} from '../../../libs/tenant-migration/src/backup/backup.types';
import type { OutcomeReason } from '../../../libs/tenant-migration/src/common/outcome-reason';
import type { CleanupResult } from '../../../libs/tenant-migration/src/integrity/cleanup.types';
import type {
  FieldDifference,
  IntegrityReport,
  TenantDrift,
} from '../../../libs/tenant-migration/src/integrity/integrity.types';
import type { MigrationStats as StatsReport } from '../../../libs/tenant-migration/src/integrity/report.types';
import type { SyncResult } from '../../../libs/tenant-migration/src/integrity/sync.types';
import type { MigrationCounts } from '../../../libs/tenant-migration/src/migration/migration.types';
import type {
  Operation as OperationRecord,
  OperationKind,
  OperationProgress,
  OperationStatus,
} from '../../../libs/tenant-migration/src/operations/operation.types';
import type { SelfTestReport as SelfTestRecord } from '../../../libs/tenant-migration/src/self-test/self-test.types';

export {
  OPERATION_KINDS,
  OPERATION_STATUSES,
  SETTLED_STATUSES as SETTLED,
} from '../../../libs/tenant-migration/src/operations/operation.types';

/** A value as JSON carries it: a Date is its ISO string. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type { FieldDifference, OperationKind, OperationProgress, OperationStatus, OutcomeReason };
export type { CleanupResult, IntegrityReport, MigrationCounts, SyncResult, TenantDrift };
export type Operation = Wire<OperationRecord>;
export type Backup = Wire<BackupSummary>;
export type MigrationStats = Wire<StatsReport>;
export type MigrationRun = MigrationStats['lastRuns'][number];
/** A recorded run as `action=runs` lists it (a `migration_runs` row). */
export interface RecordedRun extends MigrationRun {
  kind: 'migrate' | 'dry-run' | 'validate';
}
export type RestoreReport = Wire<RedisRestoreReport>;
export type VerifyReport = Wire<BackupVerifyReport>;
export type SelfTestReport = Wire<SelfTestRecord>;

export interface OperationPage {
  operations: Operation[];
  total: number;
  byStatus: Record<string, number>;
  offset: number;
  limit: number;
}

export interface QuarantinedKey {
  id: string;
  runId: string;
  key: string;
  bucket: 'rejected' | 'skipped';
  reasons: OutcomeReason[];
  valueSha256: string | null;
  valueSize: number | null;
  createdAt: string;
  valuePrefixBase64: string | null;
}

export interface ExceptionPage {
  limit: number;
  offset: number;
  total: number;
  exceptions: QuarantinedKey[];
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string | null;
  action: string;
  params: Record<string, unknown>;
  status: 'succeeded' | 'failed';
  outcome: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  offset: number;
  limit: number;
}

/** `GET /api/admin/tenants/:subdomain`: one tenant in both stores, and its history. */
export interface TenantLookup {
  subdomain: string;
  key: string;
  state: 'matching' | 'different' | 'only-in-redis' | 'only-in-postgres' | 'invalid-in-redis';
  redis: null | {
    type: string;
    ttlMs: number | null;
    bytes: number | null;
    text: string | null;
    hexPrefix: string | null;
    truncated: boolean;
    mapped: Record<string, unknown> | null;
    reasons: OutcomeReason[];
    notes: OutcomeReason[];
  };
  postgres: Record<string, unknown> | null;
  fields: FieldDifference[];
  changedInRedis: boolean | null;
  changedInPostgres: boolean | null;
  cleanedUp: boolean;
  history: {
    exceptions: {
      runId: string;
      key: string;
      bucket: 'rejected' | 'skipped';
      reasons: OutcomeReason[];
      at: string;
    }[];
    audit: AuditEntry[];
    writeBacks: {
      subdomain: string;
      key: string;
      attempts: number;
      lastError: string;
      firstFailedAt: string;
      lastFailedAt: string;
    }[];
    migratedAt: string | null;
    updatedAt: string | null;
  };
}
