import { initialSchema } from './migrations/1764000000000-initial-schema.js';
import { backupsAndAudit } from './migrations/1764100000000-backups-and-audit.js';
import { redisCleanups } from './migrations/1764200000000-redis-cleanups.js';
import { redisWriteBacks } from './migrations/1764300000000-redis-write-backs.js';
import { writeFences } from './migrations/1764400000000-write-fences.js';
import { operations } from './migrations/1764500000000-operations.js';
import { operationCheckpoints } from './migrations/1764600000000-operation-checkpoints.js';
import { resolveTableNames, type TableNames } from './table-names.js';

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
    operations(names),
    operationCheckpoints(names),
  ];
};

/** The schema migrations for the default table names. */
export const TENANT_MIGRATION_SCHEMA_MIGRATIONS = tenantMigrationSchemaMigrations();

/** The newest schema migration name; used to tell a missing or stale schema at start-up. */
export const LATEST_SCHEMA_MIGRATION = 'OperationCheckpoints1764600000000';
