import { TenantMigrationError } from './tenant-migration.error.js';

/** PostgreSQL or Redis cannot be reached. The message names the URL without credentials. */
export class StoreUnavailableError extends TenantMigrationError {
  readonly code = 'store-unavailable';
  readonly kind = 'unavailable' as const;
}
