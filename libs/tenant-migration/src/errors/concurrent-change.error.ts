import { TenantMigrationError } from './tenant-migration.error.js';

/** Another writer changed the same record during the operation; nothing was written. */
export class ConcurrentChangeError extends TenantMigrationError {
  readonly code = 'concurrent-change';
  readonly kind = 'conflict' as const;
}
