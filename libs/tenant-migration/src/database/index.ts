import type { DataSourceOptions } from 'typeorm';
import { initialSchema } from './migrations/1764000000000-initial-schema.js';
import { TenantEntity } from '../tenants/tenant.entity.js';
import { MigrationRunEntity } from '../migration/migration-run.entity.js';
import { MigrationExceptionEntity } from '../migration/migration-exception.entity.js';
import { BackupEntity } from '../backup/backup.entity.js';
import { AuditLogEntity } from '../audit/audit-log.entity.js';
import { backupsAndAudit } from './migrations/1764100000000-backups-and-audit.js';
import { redisCleanups } from './migrations/1764200000000-redis-cleanups.js';
import { redisWriteBacks } from './migrations/1764300000000-redis-write-backs.js';
import { writeFences } from './migrations/1764400000000-write-fences.js';
import { resolveTableNames, type TableNames } from './table-names.js';
import type { EntityClass } from '../tenant-migration.tokens.js';

/** Which table each entity maps, by its key in `TableNames`. */
export const ENTITY_TABLES = new Map<EntityClass, keyof TableNames>([
  [TenantEntity, 'tenants'],
  [MigrationRunEntity, 'migrationRuns'],
  [MigrationExceptionEntity, 'migrationExceptions'],
  [BackupEntity, 'backups'],
  [AuditLogEntity, 'auditLog'],
]);

/** Every entity the library maps; hosts pass these to their own TypeORM setup. */
export const TENANT_MIGRATION_ENTITIES = [...ENTITY_TABLES.keys()];

/**
 * The schema migrations, in order, creating the tables under the given names (the same names
 * the module gets as its `tables` option). Listed explicitly: no globbing of compiled files.
 */
export const tenantMigrationSchemaMigrations = (tables: Partial<TableNames> = {}) => {
  const names = resolveTableNames(tables);
  return [
    initialSchema(names),
    backupsAndAudit(names),
    redisCleanups(names),
    redisWriteBacks(names),
    writeFences(names),
  ];
};

/** The schema migrations for the default table names. */
export const TENANT_MIGRATION_SCHEMA_MIGRATIONS = tenantMigrationSchemaMigrations();

/** The newest schema migration name; used to tell a missing or stale schema at start-up. */
export const LATEST_SCHEMA_MIGRATION = 'WriteFences1764400000000';

/**
 * PostgreSQL DataSource options for the library's schema, from a connection URL; `tables`
 * names the tables its migrations create (give the module the same `tables` option).
 */
export const buildDataSourceOptions = (
  url: string,
  extra: Partial<DataSourceOptions> = {},
  tables: Partial<TableNames> = {},
): DataSourceOptions =>
  ({
    type: 'postgres',
    url,
    entities: TENANT_MIGRATION_ENTITIES,
    migrations: tenantMigrationSchemaMigrations(tables),
    migrationsTableName: 'tenant_migrate_schema_migrations',
    synchronize: false,
    ...extra,
  }) as DataSourceOptions;
