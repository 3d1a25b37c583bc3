import { TenantMigrationError } from './tenant-migration.error.js';

/** The run cannot be resumed: it completed, or its options differ from this invocation. */
export class RunNotResumableError extends TenantMigrationError {
  readonly code = 'run-not-resumable';
  readonly kind = 'conflict' as const;
}
