import { TenantMigrationError } from './tenant-migration.error.js';

/**
 * A tenant given by a caller (create or update) breaks the rules; `context.reasons` lists
 * every problem with its field, as the migration's quarantine does for Redis records.
 */
export class InvalidTenantError extends TenantMigrationError {
  readonly code = 'invalid-tenant';
  readonly kind = 'invalid-input' as const;
}
