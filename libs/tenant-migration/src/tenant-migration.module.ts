import { Module } from '@nestjs/common';
import { RESOLVED_OPTIONS } from './tenant-migration.constants.js';
import {
  ConfigurableTenantMigrationModule,
  TENANT_MIGRATION_MODULE_OPTIONS,
} from './tenant-migration.module-definition.js';
import type {
  ResolvedTenantMigrationOptions,
  TenantMigrationModuleOptions,
} from './tenant-migration-options.interface.js';
import { resolveTableNames } from './database/table-names.js';
import { DEFAULT_VALIDATION_SETTINGS } from './validation/validation.types.js';
import { VALIDATION_SETTINGS } from './validation/validation.constants.js';
import { TenantValidator } from './validation/tenant-validator.js';
import { RedisKeyspaceReader } from './source/redis-keyspace.reader.js';
import { MigrationService } from './migration/migration.service.js';
import { MigrationRunRepository } from './migration/migration-run.repository.js';
import { PostgresSessionFactory } from './migration/postgres-session.factory.js';
import { TenantMergeRepository } from './migration/tenant-merge.repository.js';
import { AuditRepository } from './audit/audit.repository.js';
import { KeyspaceClassifier } from './migration/keyspace-classifier.js';
import { BatchWriter } from './migration/batch-writer.js';
import { TableLock } from './migration/table-lock.js';
import { TenantTombstoneRepository } from './tenants/tenant-tombstone.repository.js';
import { BackupService } from './backup/backup.service.js';
import { IntegrityService } from './integrity/integrity.service.js';
import { SyncService } from './integrity/sync.service.js';
import { CleanupService } from './integrity/cleanup.service.js';
import { ReportService } from './integrity/report.service.js';
import { TenantResolver } from './compat/tenant-resolver.js';
import { MigrationTests } from './self-test/migration-tests.service.js';
import { RedisWriteBackQueue } from './compat/redis-write-back.queue.js';
import { TenantService } from './compat/tenant.service.js';
import { TenantMigrationService } from './compat/tenant-migration.service.js';
import { MigrationUtils } from './compat/migration-utils.service.js';

export const resolveOptions = (
  options: TenantMigrationModuleOptions,
): ResolvedTenantMigrationOptions => ({
  keyPrefix: options.keyPrefix ?? 'subdomain:',
  batchSize: options.batchSize ?? 2000,
  maxValueBytes: options.maxValueBytes ?? 65_536,
  conflictPolicy: options.conflictPolicy ?? 'keep-postgres',
  backupDir: options.backupDir ?? 'backups',
  resolver: {
    mode: options.resolver?.mode ?? 'postgres-first',
    cacheTtlMs: options.resolver?.cacheTtlMs ?? 0,
    cacheMaxEntries: options.resolver?.cacheMaxEntries ?? 10_000,
  },
  writeBack: {
    enabled: options.writeBack?.enabled ?? false,
    timeoutMs: options.writeBack?.timeoutMs ?? 2000,
  },
  tables: resolveTableNames(options.tables),
  validation: {
    ...DEFAULT_VALIDATION_SETTINGS,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_VALIDATION_SETTINGS.maxValueBytes,
    ...options.validation,
  },
});

/** The library's services and repositories: provided, and exported for the host to use. */
const LIBRARY_PROVIDERS = [
  TenantValidator,
  RedisKeyspaceReader,
  PostgresSessionFactory,
  MigrationRunRepository,
  TenantMergeRepository,
  TenantTombstoneRepository,
  KeyspaceClassifier,
  TableLock,
  BatchWriter,
  MigrationService,
  AuditRepository,
  BackupService,
  IntegrityService,
  SyncService,
  CleanupService,
  ReportService,
  TenantResolver,
  RedisWriteBackQueue,
  TenantService,
  TenantMigrationService,
  MigrationUtils,
  MigrationTests,
];

/**
 * The importable module: migration, validation and the services built on them. It maps its
 * entities on the host's TypeORM connection (`TypeOrmModule.forFeature`, see the extras) and
 * uses the host's ioredis client; the host (or the apps in this repository) owns both.
 */
@Module({
  providers: [
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
    ...LIBRARY_PROVIDERS,
  ],
  exports: [RESOLVED_OPTIONS, ...LIBRARY_PROVIDERS],
})
export class TenantMigrationModule extends ConfigurableTenantMigrationModule {}
