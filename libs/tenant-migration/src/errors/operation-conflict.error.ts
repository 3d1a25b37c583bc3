import { TenantMigrationError } from './tenant-migration.error.js';

/**
 * An exclusive operation (migrate, restore, restore-postgres, cleanup) was asked for while
 * another one holds the tenants tables: `operationId` names the one that holds them.
 */
export class OperationConflictError extends TenantMigrationError {
  readonly code = 'operation-conflict';
  readonly kind = 'conflict' as const;

  constructor(
    message: string,
    readonly operationId: string,
    context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, { ...context, operationId });
  }

  override problemMembers(): Readonly<Record<string, unknown>> {
    return { operationId: this.operationId };
  }
}
