import { createHash } from 'node:crypto';

/** @internal The ioredis client the library reads and writes tenants with. */
export const TENANT_REDIS = 'TENANT_MIGRATION_REDIS';

/** PostgreSQL advisory lock key held by a running migration into the default `tenants` table. */
export const MIGRATION_LOCK_KEY = 7_305_118_232_001;

/**
 * The advisory lock of migrations into one tenants table: `MIGRATION_LOCK_KEY` for the default
 * table, a key derived from the name for another, so two sets of tables in one database do
 * not block each other while two runs into one table still do.
 */
export const migrationLockKey = (tenantsTable: string): string =>
  tenantsTable === 'tenants'
    ? String(MIGRATION_LOCK_KEY)
    : BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`tenant-migrate:${tenantsTable}`).digest('hex').slice(0, 16)}`)).toString();

/** @internal The options with defaults applied (`ResolvedTenantMigrationOptions`). */
export const RESOLVED_OPTIONS = 'TENANT_MIGRATION_RESOLVED_OPTIONS';
