/**
 * SIGINT and SIGTERM during a long command (migrate, check, validate, a Redis backup): the first
 * asks the engine to stop at its next batch boundary (an AbortSignal aborted with the reason
 * `shutdown`), so what was committed stays recorded and a migration's run is left `interrupted`
 * for the next `migrate` to resume. The command then reports the stop in one line and exits
 * 130 (SIGINT) or 143 (SIGTERM). A second signal while it stops ends the process at once, with
 * the same code.
 */
import { OperationStoppedError, throwIfStopped } from '#tenant-migration';
import { SIGNAL_EXIT_CODES } from './exit-codes.js';
import { formatCount } from './output-format.js';
import { STOP_SIGNALS, type StopSignal, StoppedBySignalError } from './stopped-by-signal.error.js';

/**
 * The same signal again this soon after the first is the same request heard twice, not a
 * second one: Ctrl-C signals the terminal's whole process group, so a CLI started by a launcher
 * that forwards signals (npm, bin/tenant-migrate.mjs) hears it from both within milliseconds.
 */
export const REPEAT_WINDOW_MS = 500;

/** Where the signals come from and how the process ends at once (a spec passes its own). */
export interface SignalHost {
  on(signal: StopSignal, listener: () => void): void;
  now(): number;
  /** Writes `line` on stderr and ends the process with `code`, without waiting for anything. */
  exitNow(line: string, code: number): void;
}

const processHost: SignalHost = {
  on: (signal, listener) => process.on(signal, listener),
  now: () => Date.now(),
  exitNow: (line, code) => {
    // Synchronous on a pipe, a file or a terminal on Linux: the line is out before the exit.
    process.stderr.write(`${line}\n`);
    process.exit(code);
  },
};

/**
 * ` after <doing> N <items>` from a count of the stop's context (`scanned` keys, backup
 * `entries`), or '' without one.
 */
export const doneBeforeStop = (
  stopped: OperationStoppedError,
  member: string,
  doing: string,
  items: string,
): string => {
  const count = stopped.context[member];
  return typeof count === 'number' ? ` after ${doing} ${formatCount(count)} ${items}` : '';
};

/** What a command says about its stop: the line's reason, and the members of the JSON document. */
export interface StopReport {
  message: string;
  members?: Readonly<Record<string, unknown>>;
}

/**
 * Listens for SIGINT and SIGTERM from its creation to the end of the process (a command runs
 * once per process). Once the work is done there is nothing left to stop: a first signal then
 * lets the command end as it would have, and a second still ends it at once.
 */
export class StopOnSignals {
  private readonly controller = new AbortController();
  private first: { signal: StopSignal; at: number } | null = null;

  constructor(
    /** Called once, with the first signal (the verbose log says what happens next). */
    private readonly onStopping: (signal: StopSignal) => void = () => undefined,
    private readonly host: SignalHost = processHost,
  ) {
    for (const signal of STOP_SIGNALS) host.on(signal, () => this.heard(signal));
  }

  /** Aborted with the reason `shutdown` at the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that asked the command to stop, or null. */
  get stoppedBy(): StopSignal | null {
    return this.first?.signal ?? null;
  }

  private heard(signal: StopSignal): void {
    const now = this.host.now();
    if (!this.first) {
      this.first = { signal, at: now };
      this.controller.abort('shutdown');
      this.onStopping(signal);
      return;
    }
    if (signal === this.first.signal && now - this.first.at < REPEAT_WINDOW_MS) return;
    this.host.exitNow(
      `tenant-migrate: ${signal} while stopping on ${this.first.signal}: exiting at once, without waiting for the batch in flight`,
      SIGNAL_EXIT_CODES[this.first.signal],
    );
  }

  /**
   * Runs `work` with the stop signal (not at all when a signal came first). A stop it reports
   * (OperationStoppedError) is thrown as StoppedBySignalError, with the message `report` gives.
   */
  async run<T>(
    work: (signal: AbortSignal) => Promise<T>,
    report: (stopped: OperationStoppedError, signal: StopSignal) => StopReport,
  ): Promise<T> {
    try {
      throwIfStopped(this.signal);
      return await work(this.signal);
    } catch (error) {
      const signal = this.stoppedBy;
      if (signal === null || !(error instanceof OperationStoppedError)) throw error;
      const { message, members = {} } = report(error, signal);
      throw new StoppedBySignalError(signal, message, error, { signal, ...members });
    }
  }
}
