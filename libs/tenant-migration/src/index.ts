/** The public API of the tenant-migration library. Nothing else is exported. */
export { TenantMigrationModule, resolveOptions } from './tenant-migration.module.js';
export type {
  TenantMigrationModuleOptions,
  ResolvedTenantMigrationOptions,
} from './tenant-migration-options.interface.js';
export type { TenantMigrationModuleExtras } from './tenant-migration.module-definition.js';
export { TENANT_REDIS, RESOLVED_OPTIONS } from './tenant-migration.constants.js';
export {
  InjectTenantDataSource,
  InjectTenantRepository,
  TENANT_DATA_SOURCE,
} from './tenant-migration.tokens.js';
export * from './errors/index.js';
export * from './tenants/tenant.types.js';
export { TenantEntity } from './tenants/tenant.entity.js';
export { MigrationRunEntity } from './migration/migration-run.entity.js';
export { MigrationExceptionEntity } from './migration/migration-exception.entity.js';
export { buildDataSourceOptions, TENANT_MIGRATION_ENTITIES } from './tenant-migration.entities.js';
export {
  TENANT_MIGRATION_SCHEMA_MIGRATIONS,
  tenantMigrationSchemaMigrations,
  LATEST_SCHEMA_MIGRATION,
} from './database/schema-migrations.js';
export { DEFAULT_TABLE_NAMES, resolveTableNames, type TableNames } from './database/table-names.js';
export {
  postgresReplyWatchdog,
  PostgresReplyTimeoutError,
} from './database/postgres-reply-watchdog.js';
export type * from './migration/migration.types.js';
export { emptyCounts } from './migration/migration.types.js';
export { MigrationService } from './migration/migration.service.js';
export { isBalanced } from './migration/run-state.js';
export type {
  MigrationBatchCounts,
  MigrationBatchReport,
  MigrationProgress,
  MigrationRequest,
  MigrationResult,
  ValidationReport,
  ExceptionSample,
  MigrationStage,
} from './migration/migration-request.types.js';
export { MigrationRunRepository } from './migration/migration-run.repository.js';
export {
  MigrationRunsService,
  EXPORT_PAGE_ROWS,
  type ExceptionFilters,
  type ExceptionPage,
  type QuarantinedKey,
  type QuarantinePage,
} from './migration/migration-runs.service.js';
export {
  PostgresSessionFactory,
  type PostgresSession,
} from './database/postgres-session.factory.js';
export { RedisKeyspaceReader } from './source/redis-keyspace.reader.js';
export { scanPatternFor } from './source/key-name.js';
export { TenantValidator } from './validation/tenant-validator.js';
export type { ValidationSettings, ValidationResult } from './validation/validation.types.js';
export { DEFAULT_VALIDATION_SETTINGS } from './validation/validation.types.js';
export { errorMessage } from './common/error-message.js';
export { escapeCodePoint, escapeCodeUnit, unicodeEscape } from './common/escape-code-unit.js';
export { redactUrl } from './common/redact-url.js';
export { withTimeout } from './common/with-timeout.js';
export { redisReady } from './common/redis-ready.js';
export { MIGRATION_OBSERVER } from './common/migration-observer.js';
export type {
  MigrationBatchObservation,
  MigrationObserver,
  ResolverLookupResult,
} from './common/migration-observer.js';
export { BackupService } from './backup/backup.service.js';
export { TENANT_TABLE_COLUMNS } from './tenants/tenant-columns.js';
export type { BackupRequest } from './backup/backup.service.js';
export type { RedisRestoreRequest } from './backup/backup-restore.service.js';
export type * from './backup/backup.types.js';
export { BackupEntity } from './backup/backup.entity.js';
export { AuditRepository } from './audit/audit.repository.js';
export { AuditLogEntity } from './audit/audit-log.entity.js';
export { IntegrityService } from './integrity/integrity.service.js';
export type { IntegrityCheckRequest } from './integrity/integrity.service.js';
export type * from './integrity/integrity.types.js';
export { SyncService } from './integrity/sync.service.js';
export type {
  SyncAllResult,
  SyncDirection,
  SyncRequest,
  SyncResult,
} from './integrity/sync.types.js';
export { CleanupService } from './integrity/cleanup.service.js';
export type {
  CleanupCheckpoint,
  CleanupKeepReason,
  CleanupRequest,
  CleanupResult,
} from './integrity/cleanup.types.js';
export { ReportService } from './integrity/report.service.js';
export { toMarkdown } from './integrity/report-markdown.js';
export { TenantLookupService } from './integrity/tenant-lookup.service.js';
export type * from './integrity/tenant-lookup.types.js';
export type { MigrationReport, MigrationStats, WrittenReport } from './integrity/report.types.js';
export { TenantResolver } from './compat/tenant-resolver.js';
export type { ResolverMode } from './tenant-migration-options.interface.js';
export type { OutcomeReason } from './common/outcome-reason.js';
export { MigrationAdminController } from './http/migration-admin.controller.js';
export { DEFAULT_ADMIN_PATH, type AdminControllerMount } from './http/mount-admin-controller.js';
export {
  DomainErrorFilter,
  httpProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemDocument,
} from './http/domain-error.filter.js';
export * from './http/admin-api.responses.js';
export * from './http/report.responses.js';
export * from './http/backup-report.responses.js';
export * from './http/tenant-lookup.responses.js';
export { ApiProblemResponses } from './http/api-problem-responses.js';
export { MigrationTests } from './self-test/migration-tests.service.js';
export { SELF_TEST_NAMES } from './self-test/self-test.types.js';
export type {
  SelfTestName,
  SelfTestReport,
  SelfTestRequest,
  SelfTestResult,
} from './self-test/self-test.types.js';
export { TenantService } from './compat/tenant.service.js';
export type {
  TenantChanges,
  TenantInput,
  TenantWriteOptions,
  TenantWriteResult,
  WriteBackOutcome,
} from './compat/tenant.service.js';
export { RedisWriteBackQueue } from './tenants/redis-write-back.queue.js';
export { TenantStoreRepository } from './compat/tenant-store.repository.js';
export { TenantRedisCopyRepository } from './compat/tenant-redis-copy.repository.js';
export { TenantTombstoneRepository } from './tenants/tenant-tombstone.repository.js';
export type { PendingWriteBack } from './tenants/redis-write-back.queue.js';
export { TenantMigrationService } from './compat/tenant-migration.service.js';
export { MigrationUtils } from './compat/migration-utils.service.js';
export { OperationsService, type StartOperation } from './operations/operations.service.js';
export { checkOperationParams } from './operations/operation-kinds.js';
export { checkOperationRequest } from './http/operation.dto.js';
export type { OperationCount } from './operations/operations.repository.js';
export {
  OPERATION_KINDS,
  OPERATION_STATUSES,
  SETTLED_STATUSES,
  SCHEDULE_KINDS,
  type Operation,
  type OperationError,
  type OperationFilters,
  type OperationKind,
  type OperationPage,
  type OperationProgress,
  type ProgressUnit,
  type OperationSchedule,
  type OperationStatus,
  type ScheduleKind,
} from './operations/operation.types.js';
export { cronProblem, isTimeZone } from './common/cron-expression.js';
