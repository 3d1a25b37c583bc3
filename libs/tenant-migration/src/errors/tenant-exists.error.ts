import { TenantMigrationError } from './tenant-migration.error.js';

/** A tenant cannot be created: its subdomain is taken (in PostgreSQL, or by a Redis record not migrated yet). */
export class TenantExistsError extends TenantMigrationError {
  readonly code = 'tenant-exists';
  readonly kind = 'conflict' as const;
}
