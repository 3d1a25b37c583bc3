import type { OperationStoppedError } from '#tenant-migration';

/** The signals that stop a long command at its next batch boundary. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/**
 * A command's work that SIGINT or SIGTERM stopped at a batch boundary: the engine's
 * OperationStoppedError (reason `shutdown`), with a message saying what the stop left behind
 * (for a migration: its run, interrupted, and how to continue it). The CLI exits 128 + the
 * signal's number, as a shell reports a process the signal ended.
 */
export class StoppedBySignalError extends Error {
  constructor(
    readonly signal: StopSignal,
    message: string,
    readonly stopped: OperationStoppedError,
    /** What the `--json` error document adds: the signal, and the run where there is one. */
    readonly members: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, { cause: stopped });
    this.name = 'StoppedBySignalError';
  }
}
