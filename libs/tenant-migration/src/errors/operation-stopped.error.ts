import { stopReasonOf, type StopReason } from '../common/stop-signal.js';
import { TenantMigrationError } from './tenant-migration.error.js';

/**
 * A long task that stopped at a batch boundary because it was asked to (cancel, pause, or the
 * process shutting down): everything before the boundary is committed and recorded.
 */
export class OperationStoppedError extends TenantMigrationError {
  readonly code = 'operation-stopped';
  readonly kind = 'conflict' as const;

  constructor(
    readonly reason: StopReason,
    context: Readonly<Record<string, unknown>> = {},
    /**
     * Where a task that continues exactly on resume left off, when it keeps more than a
     * migration run's ledger does (a Redis backup's partial file and SCAN position). Kept with
     * the operation, never shown.
     */
    readonly checkpoint: object | null = null,
  ) {
    super(`stopped on ${reason === 'shutdown' ? 'shutdown' : `${reason} request`}`, {
      ...context,
      reason,
    });
  }
}

/** Throws OperationStoppedError when the signal was aborted. */
export const throwIfStopped = (
  signal: AbortSignal | undefined,
  context: Readonly<Record<string, unknown>> = {},
): void => {
  const reason = stopReasonOf(signal);
  if (reason) throw new OperationStoppedError(reason, context);
};
