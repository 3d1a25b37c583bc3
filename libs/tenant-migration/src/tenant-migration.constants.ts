/** @internal The ioredis client the library reads and writes tenants with. */
export const TENANT_REDIS = 'TENANT_MIGRATION_REDIS';

/** PostgreSQL advisory lock key held by a running migration (one per database). */
export const MIGRATION_LOCK_KEY = 7_305_118_232_001;

/** @internal The options with defaults applied (`ResolvedTenantMigrationOptions`). */
export const RESOLVED_OPTIONS = 'TENANT_MIGRATION_RESOLVED_OPTIONS';
