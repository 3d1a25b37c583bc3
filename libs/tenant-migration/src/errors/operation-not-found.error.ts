import { TenantMigrationError } from './tenant-migration.error.js';

export class OperationNotFoundError extends TenantMigrationError {
  readonly code = 'operation-not-found';
  readonly kind = 'not-found' as const;
}
