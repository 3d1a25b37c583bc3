import {
  TenantMigrationError,
  MigrationLockedError,
  plainStoreDetail,
  storeOutageOf,
} from '#tenant-migration';
import { errorMessage } from '#tenant-migration';

/** The CLI's exit codes (documented in the README). */
export const ExitCode = {
  Clean: 0,
  /** Finished, but some keys were rejected or conflicted (or drift was found). */
  Findings: 1,
  /** Bad usage: unknown flag, bad value, unknown run. */
  Usage: 2,
  /** Could not run: a store is unreachable, the lock is held, the schema is missing. */
  CouldNotRun: 3,
} as const;

const MEANINGS: Record<(typeof ExitCode)[keyof typeof ExitCode], string> = {
  0: 'clean',
  1: 'findings',
  2: 'bad usage',
  3: 'could not run',
};

/** What an exit code means, in a word or two (for the verbose log). */
export const describeExitCode = (code: number): string =>
  Object.hasOwn(MEANINGS, code) ? MEANINGS[code as keyof typeof MEANINGS] : 'unknown';

/** Maps any error to an exit code and a one-line reason (no stack, no secrets). */
export const describeFailure = (error: unknown): { code: number; line: string } => {
  if (error instanceof MigrationLockedError)
    return { code: ExitCode.CouldNotRun, line: error.message };
  if (error instanceof TenantMigrationError) {
    if (error.kind === 'invalid-data') return { code: ExitCode.Findings, line: error.message };
    const code =
      error.kind === 'invalid-input' || error.kind === 'not-found' || error.kind === 'conflict'
        ? ExitCode.Usage
        : ExitCode.CouldNotRun;
    // The cause says why a store is unavailable, unless the message says it already.
    const cause =
      error.kind === 'unavailable' && error.cause instanceof Error
        ? plainStoreDetail(error.cause.message)
        : '';
    const detail = cause && !error.message.includes(cause) ? `: ${cause}` : '';
    return { code, line: `${error.message}${detail}` };
  }
  // A store that went away mid-command, as its client said it: exit 3, in plain words.
  const outage = storeOutageOf(error);
  if (outage) return { code: ExitCode.CouldNotRun, line: outage.message };
  const message = errorMessage(error);
  return { code: ExitCode.CouldNotRun, line: `could not run: ${message}` };
};

/**
 * Commander's own errors (it has already printed its one-line message or the help text):
 * help and version exit 0, anything else (unknown flag, missing argument) is a usage error.
 */
export const exitOnCommanderError = (error: Error & { code?: string }): never => {
  const informational =
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.help' ||
    error.code === 'commander.version';
  process.exit(informational ? ExitCode.Clean : ExitCode.Usage);
};
