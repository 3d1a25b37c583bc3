import { TenantMigrationError } from './tenant-migration.error.js';

/** An option given by a caller is out of range or unknown. */
export class InvalidOptionError extends TenantMigrationError {
  readonly code = 'invalid-option';
  readonly kind = 'invalid-input' as const;
}
