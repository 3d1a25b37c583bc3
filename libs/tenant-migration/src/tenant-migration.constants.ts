/** @internal The ioredis client the library reads and writes tenants with. */
export const TENANT_REDIS = 'TENANT_MIGRATION_REDIS';

/** @internal The options with defaults applied (`ResolvedTenantMigrationOptions`). */
export const RESOLVED_OPTIONS = 'TENANT_MIGRATION_RESOLVED_OPTIONS';
