import { TenantMigrationError } from './tenant-migration.error.js';

/** No migration run has the given id. */
export class MigrationRunNotFoundError extends TenantMigrationError {
  readonly code = 'migration-run-not-found';
  readonly kind = 'not-found' as const;
}
