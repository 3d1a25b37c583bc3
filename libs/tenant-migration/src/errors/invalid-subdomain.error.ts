import { TenantMigrationError } from './tenant-migration.error.js';

/** A subdomain given by a caller is not a valid tenant name; `context.reasons` says why. */
export class InvalidSubdomainError extends TenantMigrationError {
  readonly code = 'invalid-subdomain';
  readonly kind = 'invalid-input' as const;
}
