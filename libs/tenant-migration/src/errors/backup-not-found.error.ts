import { TenantMigrationError } from './tenant-migration.error.js';

/** No backup is recorded with the given id, or no file is at the given path. */
export class BackupNotFoundError extends TenantMigrationError {
  readonly code = 'backup-not-found';
  readonly kind = 'not-found' as const;
}
