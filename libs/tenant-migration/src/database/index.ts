import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { TenantEntity } from '../tenants/tenant.entity.js';
import { MigrationRunEntity } from '../migration/migration-run.entity.js';
import { MigrationExceptionEntity } from '../migration/migration-exception.entity.js';
import { BackupEntity } from '../backup/backup.entity.js';
import { AuditLogEntity } from '../audit/audit-log.entity.js';
import { BackupsAndAudit1764100000000 } from './migrations/1764100000000-backups-and-audit.js';
import { RedisCleanups1764200000000 } from './migrations/1764200000000-redis-cleanups.js';
import { RedisWriteBacks1764300000000 } from './migrations/1764300000000-redis-write-backs.js';

/** Every entity the library maps; hosts pass these to their own TypeORM setup. */
export const TENANT_MIGRATION_ENTITIES = [TenantEntity, MigrationRunEntity, MigrationExceptionEntity, BackupEntity, AuditLogEntity];

/** The schema migrations, in order. Listed explicitly: no globbing of compiled files. */
export const TENANT_MIGRATION_SCHEMA_MIGRATIONS = [InitialSchema1764000000000, BackupsAndAudit1764100000000, RedisCleanups1764200000000, RedisWriteBacks1764300000000];

/** The newest schema migration name; used to tell a missing or stale schema at start-up. */
export const LATEST_SCHEMA_MIGRATION = 'RedisWriteBacks1764300000000';

/** PostgreSQL DataSource options for the library's schema, from a connection URL. */
export const buildDataSourceOptions = (url: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions =>
  ({
    type: 'postgres',
    url,
    entities: TENANT_MIGRATION_ENTITIES,
    migrations: TENANT_MIGRATION_SCHEMA_MIGRATIONS,
    migrationsTableName: 'tenant_migrate_schema_migrations',
    synchronize: false,
    ...extra,
  }) as DataSourceOptions;
