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
import type { AuditLogEntity } from '../../../libs/tenant-migration/src/audit/audit-log.entity';
import type { AuditPage as AuditPageRecord } from '../../../libs/tenant-migration/src/audit/audit-trail.service';
import type { TenantLookup as TenantLookupRecord } from '../../../libs/tenant-migration/src/integrity/tenant-lookup.types';
import type { MigrationRunEntity } from '../../../libs/tenant-migration/src/migration/migration-run.entity';
import type {
  QuarantinedKey as QuarantinedKeyRecord,
  QuarantinePage,
} from '../../../libs/tenant-migration/src/migration/migration-runs.service';
import type {
  Operation as OperationRecord,
  OperationPage as OperationPageRecord,
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
export type RestoreReport = Wire<RedisRestoreReport>;
export type VerifyReport = Wire<BackupVerifyReport>;
export type SelfTestReport = Wire<SelfTestRecord>;

export type OperationPage = Wire<OperationPageRecord>;
export type QuarantinedKey = Wire<QuarantinedKeyRecord>;
export type ExceptionPage = Wire<QuarantinePage>;
export type AuditEntry = Wire<AuditLogEntity>;
export type AuditPage = Wire<AuditPageRecord>;
/** A recorded run as `action=runs` lists it (a `migration_runs` row). */
export type RecordedRun = Wire<MigrationRunEntity>;
/** `GET /api/admin/tenants/:subdomain`: one tenant in both stores, and its history. */
export type TenantLookup = Wire<TenantLookupRecord>;
