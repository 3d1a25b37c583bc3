import { TenantMigrationError } from './tenant-migration.error.js';

/** A backup file is damaged, altered, incomplete or of the wrong kind; nothing was restored. */
export class InvalidBackupError extends TenantMigrationError {
  readonly code = 'invalid-backup';
  readonly kind = 'invalid-input' as const;
}
