import { TenantMigrationError } from './tenant-migration.error.js';

/**
 * Reading or writing a backup file failed in the middle (disk full, I/O error): the file
 * itself may be fine, the machine is not. `context` names the path and the system error code.
 */
export class BackupIoError extends TenantMigrationError {
  readonly code = 'backup-io';
  readonly kind = 'unavailable' as const;
}
