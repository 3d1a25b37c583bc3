import type { DataSourceOptions } from 'typeorm';
import { TenantEntity } from './tenants/tenant.entity.js';
import { MigrationRunEntity } from './migration/migration-run.entity.js';
import { MigrationExceptionEntity } from './migration/migration-exception.entity.js';
import { BackupEntity } from './backup/backup.entity.js';
import { AuditLogEntity } from './audit/audit-log.entity.js';
import { tenantMigrationSchemaMigrations } from './database/schema-migrations.js';
import type { TableNames } from './database/table-names.js';
import type { EntityClass } from './tenant-migration.tokens.js';

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
