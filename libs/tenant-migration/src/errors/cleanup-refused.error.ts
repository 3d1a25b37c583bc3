import { TenantMigrationError } from './tenant-migration.error.js';

/** Cleanup cannot prove any deletion safe (no verified backup, or it no longer verifies). */
export class CleanupRefusedError extends TenantMigrationError {
  readonly code = 'cleanup-refused';
  readonly kind = 'conflict' as const;
}
