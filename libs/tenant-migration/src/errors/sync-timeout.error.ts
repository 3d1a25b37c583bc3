import { TenantMigrationError } from './tenant-migration.error.js';

/**
 * A synchronous request's work ran past the admin API's limit and was stopped (it wrote
 * nothing that stays): the same work runs as an operation, in the background.
 */
export class SyncTimeoutError extends TenantMigrationError {
  readonly code = 'sync-timeout';
  readonly kind = 'unavailable' as const;
}
