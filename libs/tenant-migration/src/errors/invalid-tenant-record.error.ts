import { TenantMigrationError } from './tenant-migration.error.js';

/** The tenant's Redis record breaks the rules, so it was not migrated; `context.reasons` says why. */
export class InvalidTenantRecordError extends TenantMigrationError {
  readonly code = 'invalid-tenant-record';
  readonly kind = 'invalid-data' as const;
}
