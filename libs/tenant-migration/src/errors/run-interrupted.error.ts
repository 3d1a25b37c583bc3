import { TenantMigrationError, type ErrorKind } from './tenant-migration.error.js';
import { plainStoreDetail } from './store-detail.js';
import { describeStoreOutage } from './store-outage.js';

/**
 * A migration run that stopped on an error after it was recorded: it is `interrupted`, and
 * the message names the run and the command that continues it. Its kind is the cause's, so
 * the exit code and HTTP status are those of what went wrong (a store outage stays 3 / 503,
 * and the store is named whether its client or the library said so).
 */
export class RunInterruptedError extends TenantMigrationError {
  readonly code = 'run-interrupted';
  readonly kind: ErrorKind;

  constructor(
    readonly runId: string,
    cause: unknown,
  ) {
    const outage = describeStoreOutage(cause);
    const reason =
      outage ?? (cause instanceof Error ? plainStoreDetail(cause.message) : String(cause));
    super(
      `run ${runId} stopped: ${reason}; it is interrupted: \`migrate\` (or \`resume ${runId}\`) continues it from its last checkpoint`,
      { runId },
      { cause },
    );
    this.kind =
      cause instanceof TenantMigrationError
        ? cause.kind
        : outage !== null
          ? 'unavailable'
          : 'internal';
  }
}
