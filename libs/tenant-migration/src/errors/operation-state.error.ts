import { TenantMigrationError } from './tenant-migration.error.js';

/** A control request the operation's status or kind does not allow (pause a finished one...). */
export class OperationStateError extends TenantMigrationError {
  readonly code = 'operation-state';
  readonly kind = 'conflict' as const;
}
