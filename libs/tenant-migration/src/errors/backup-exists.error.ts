import { TenantMigrationError } from './tenant-migration.error.js';

/** A backup would be written over an existing file (an earlier backup): it is never replaced. */
export class BackupExistsError extends TenantMigrationError {
  readonly code = 'backup-exists';
  readonly kind = 'conflict' as const;
}
