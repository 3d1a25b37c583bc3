import type { Provider } from '@nestjs/common';
import { RESOLVED_OPTIONS } from './tenant-migration.constants.js';
import { TENANT_MIGRATION_MODULE_OPTIONS } from './tenant-migration.module-definition.js';
import type { ResolvedTenantMigrationOptions } from './tenant-migration-options.interface.js';
import { resolveOptions } from './tenant-migration-options.resolve.js';
import { VALIDATION_SETTINGS } from './validation/validation.constants.js';
import { TenantValidator } from './validation/tenant-validator.js';
import { RedisKeyspaceReader } from './source/redis-keyspace.reader.js';
import { MigrationService } from './migration/migration.service.js';
import { MigrationRunRepository } from './migration/migration-run.repository.js';
import { MigrationRunsService } from './migration/migration-runs.service.js';
import { PostgresSessionFactory } from './database/postgres-session.factory.js';
import { TenantMergeRepository } from './migration/tenant-merge.repository.js';
import { AuditRepository } from './audit/audit.repository.js';
import { AuditTrailService } from './audit/audit-trail.service.js';
import { KeyspaceClassifier } from './migration/keyspace-classifier.js';
import { BatchWriter } from './migration/batch-writer.js';
import { TableLock } from './migration/table-lock.js';
import { TableLockRepository } from './migration/table-lock.repository.js';
import { RunStarter } from './migration/run-starter.js';
import { RunExecutor } from './migration/run-executor.js';
import { TenantTombstoneRepository } from './tenants/tenant-tombstone.repository.js';
import { BackupService } from './backup/backup.service.js';
import { BackupRepository } from './backup/backup.repository.js';
import { BackupVerifier } from './backup/backup-verifier.js';
import { BackupRestoreService } from './backup/backup-restore.service.js';
import { RedisEntryRepository } from './backup/redis-entry.repository.js';
import { TenantsTableRepository } from './backup/tenants-table.repository.js';
import { IntegrityService } from './integrity/integrity.service.js';
import { IntegrityComparisonRepository } from './integrity/integrity-comparison.repository.js';
import { SyncService } from './integrity/sync.service.js';
import { SyncRepository } from './integrity/sync.repository.js';
import { SyncWriter } from './integrity/sync-writer.js';
import { TenantSyncService } from './integrity/sync-tenant.service.js';
import { RedisTenantKeysRepository } from './source/redis-tenant-keys.repository.js';
import { CleanupService } from './integrity/cleanup.service.js';
import { CleanupRepository } from './integrity/cleanup.repository.js';
import { CleanupBackupGate } from './integrity/cleanup-backup.gate.js';
import { CleanupBatch } from './integrity/cleanup-batch.js';
import { ReportService } from './integrity/report.service.js';
import { TenantStatsRepository } from './integrity/tenant-stats.repository.js';
import { TenantLookupRepository } from './integrity/tenant-lookup.repository.js';
import { TenantLookupService } from './integrity/tenant-lookup.service.js';
import { TenantResolver } from './compat/tenant-resolver.js';
import { MigrationTests } from './self-test/migration-tests.service.js';
import { SelfTestRedisRepository } from './self-test/self-test-redis.repository.js';
import { SelfTestPostgresRepository } from './self-test/self-test-postgres.repository.js';
import { ConnectivityTest } from './self-test/connectivity-test.js';
import { ProcessTest } from './self-test/process-test.js';
import { CompatibilityTest } from './self-test/compatibility-test.js';
import { RedisWriteBackQueue } from './tenants/redis-write-back.queue.js';
import { TenantService } from './compat/tenant.service.js';
import { TenantStoreRepository } from './compat/tenant-store.repository.js';
import { TenantRedisCopyRepository } from './compat/tenant-redis-copy.repository.js';
import { TenantMigrationService } from './compat/tenant-migration.service.js';
import { MigrationUtils } from './compat/migration-utils.service.js';
import { OperationsRepository } from './operations/operations.repository.js';
import { OperationQueue } from './operations/operation-queue.js';
import { OperationExecutor } from './operations/operation-executor.js';
import { OperationsService } from './operations/operations.service.js';
import { OperationWorker } from './operations/operation-worker.js';

/** The library's services and repositories: provided, and exported for the host to use. */
export const LIBRARY_PROVIDERS: Provider[] = [
  TenantValidator,
  RedisKeyspaceReader,
  PostgresSessionFactory,
  MigrationRunRepository,
  TenantMergeRepository,
  TenantTombstoneRepository,
  KeyspaceClassifier,
  TableLockRepository,
  TableLock,
  BatchWriter,
  RunStarter,
  RunExecutor,
  MigrationService,
  MigrationRunsService,
  AuditRepository,
  AuditTrailService,
  BackupRepository,
  RedisEntryRepository,
  TenantsTableRepository,
  BackupVerifier,
  BackupRestoreService,
  BackupService,
  IntegrityComparisonRepository,
  IntegrityService,
  RedisTenantKeysRepository,
  SyncRepository,
  SyncWriter,
  TenantSyncService,
  SyncService,
  CleanupRepository,
  CleanupBackupGate,
  CleanupBatch,
  CleanupService,
  TenantStatsRepository,
  ReportService,
  TenantLookupRepository,
  TenantLookupService,
  TenantResolver,
  RedisWriteBackQueue,
  TenantStoreRepository,
  TenantRedisCopyRepository,
  TenantService,
  TenantMigrationService,
  MigrationUtils,
  SelfTestRedisRepository,
  SelfTestPostgresRepository,
  ConnectivityTest,
  ProcessTest,
  CompatibilityTest,
  MigrationTests,
  OperationsRepository,
  OperationQueue,
  OperationExecutor,
  OperationsService,
  OperationWorker,
];

/** The options, resolved once, and the validation settings derived from them. */
export const OPTION_PROVIDERS: Provider[] = [
  {
    provide: RESOLVED_OPTIONS,
    inject: [TENANT_MIGRATION_MODULE_OPTIONS],
    useFactory: resolveOptions,
  },
  {
    provide: VALIDATION_SETTINGS,
    inject: [RESOLVED_OPTIONS],
    useFactory: (options: ResolvedTenantMigrationOptions) => options.validation,
  },
];
