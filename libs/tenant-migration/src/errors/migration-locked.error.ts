import { TenantMigrationError } from './tenant-migration.error.js';

/** Another migration holds the advisory lock: one migration runs at a time. */
export class MigrationLockedError extends TenantMigrationError {
  readonly code = 'migration-locked';
  readonly kind = 'conflict' as const;
}
