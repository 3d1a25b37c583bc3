import { TenantMigrationError } from './tenant-migration.error.js';

/** The tenant exists in neither store. */
export class TenantNotFoundError extends TenantMigrationError {
  readonly code = 'tenant-not-found';
  readonly kind = 'not-found' as const;
}
