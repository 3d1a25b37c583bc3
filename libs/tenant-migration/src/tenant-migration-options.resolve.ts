import type {
  ResolvedTenantMigrationOptions,
  TenantMigrationModuleOptions,
} from './tenant-migration-options.interface.js';
import { resolveTableNames } from './database/table-names.js';
import { DEFAULT_VALIDATION_SETTINGS } from './validation/validation.types.js';
import { resolveSchedules } from './operations/operation-schedules.js';

/** The module's options with every default filled in. */
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
  operations: {
    mode: options.operations?.mode ?? 'worker',
    heartbeatMs: options.operations?.heartbeatMs ?? 2000,
    staleMs: options.operations?.staleMs ?? 15_000,
    concurrency: options.operations?.concurrency ?? 2,
    queueSchema: options.operations?.queueSchema ?? 'tenant_migrate_jobs',
    schedules: resolveSchedules(options.operations?.schedules),
  },
  validation: {
    ...DEFAULT_VALIDATION_SETTINGS,
    maxValueBytes: options.maxValueBytes ?? DEFAULT_VALIDATION_SETTINGS.maxValueBytes,
    ...options.validation,
  },
});
