import {
  type ErrorKind,
  errorMessage,
  plainStoreDetail,
  storeOutageOf,
  TenantMigrationError,
} from '#tenant-migration';
import { type StopSignal, StoppedBySignalError } from './stopped-by-signal.error.js';
import { terminalSafeJson } from './terminal-text.js';

/** The CLI's exit codes (documented in the README). */
export const ExitCode = {
  Clean: 0,
  /** Finished, but some keys were rejected or conflicted (or drift was found). */
  Findings: 1,
  /** Bad usage: unknown flag, bad value, unknown run or operation, a refused control request. */
  Usage: 2,
  /** Could not run: a store is unreachable, the lock is held, the schema is missing. */
  CouldNotRun: 3,
  /** Stopped by SIGINT (Ctrl-C) at a batch boundary: 128 + 2, as a shell reports it. */
  Interrupted: 130,
  /** Stopped by SIGTERM at a batch boundary: 128 + 15. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const MEANINGS: Record<ExitCodeValue, string> = {
  0: 'clean',
  1: 'findings',
  2: 'bad usage',
  3: 'could not run',
  130: 'stopped by SIGINT',
  143: 'stopped by SIGTERM',
};

/** The exit code of a command that a signal stopped. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, ExitCodeValue> = {
  SIGINT: ExitCode.Interrupted,
  SIGTERM: ExitCode.Terminated,
};

/** What each kind of domain error exits with. */
const KIND_EXIT_CODES: Record<ErrorKind, ExitCodeValue> = {
  'invalid-input': ExitCode.Usage,
  'invalid-data': ExitCode.Findings,
  'not-found': ExitCode.Usage,
  conflict: ExitCode.Usage,
  unavailable: ExitCode.CouldNotRun,
  internal: ExitCode.CouldNotRun,
};

/**
 * The domain errors whose code says more than their kind: a conflict with another holder
 * (the migration lock, an operation holding the tenants tables) is no mistake of the caller's:
 * the command could not run now, and may once the holder is done.
 */
const CODE_EXIT_CODES: Readonly<Record<string, ExitCodeValue>> = {
  'migration-locked': ExitCode.CouldNotRun,
  'operation-conflict': ExitCode.CouldNotRun,
};

/** What an exit code means, in a word or two (for the verbose log). */
export const describeExitCode = (code: number): string =>
  Object.hasOwn(MEANINGS, code) ? MEANINGS[code as keyof typeof MEANINGS] : 'unknown';

/** A failure as the CLI reports it. */
export interface Failure {
  exitCode: number;
  /** The one-line reason (no stack, no secrets). */
  line: string;
  /**
   * The domain error's code, the one the admin API's problem document gives (`migration-locked`,
   * `operation-not-found`); `store-unavailable` for a store that went away, `internal` otherwise.
   */
  code: string;
  /** What the `--json` error document adds (the problem document's extension members). */
  members: Readonly<Record<string, unknown>>;
}

const ofDomainError = (error: TenantMigrationError, line: string): Failure => ({
  exitCode: CODE_EXIT_CODES[error.code] ?? KIND_EXIT_CODES[error.kind],
  line,
  code: error.code,
  members: error.problemMembers(),
});

/** Maps any error to an exit code, a one-line reason and the domain error's code. */
export const describeFailure = (error: unknown): Failure => {
  if (error instanceof StoppedBySignalError)
    return {
      exitCode: SIGNAL_EXIT_CODES[error.signal],
      line: error.message,
      code: error.stopped.code,
      members: error.members,
    };
  if (error instanceof TenantMigrationError) {
    // The cause says why a store is unavailable, unless the message says it already.
    const cause =
      error.kind === 'unavailable' && error.cause instanceof Error
        ? plainStoreDetail(error.cause.message)
        : '';
    const detail = cause && !error.message.includes(cause) ? `: ${cause}` : '';
    return ofDomainError(error, `${error.message}${detail}`);
  }
  // A store that went away mid-command, as its client said it: exit 3, in plain words.
  const outage = storeOutageOf(error);
  if (outage) return ofDomainError(outage, outage.message);
  return {
    exitCode: ExitCode.CouldNotRun,
    line: `could not run: ${errorMessage(error)}`,
    code: 'internal',
    members: {},
  };
};

/**
 * The document a command given `--json` prints on stdout when it fails, beside its line on
 * stderr: `{"error": {"code", "message", "exitCode", ...members}}`, so that a script reads why
 * without parsing the line. `code` is the admin API's problem `code` for the same error.
 */
export const failureDocument = ({ exitCode, line, code, members }: Failure) => ({
  error: { code, message: line, exitCode, ...members },
});

/** Writes the failure document on stdout, escaped as every `--json` document is. */
export const printFailureDocument = (failure: Failure): void => {
  process.stdout.write(`${terminalSafeJson(JSON.stringify(failureDocument(failure), null, 2))}\n`);
};

/**
 * Commander's own errors (it has already printed its one-line message or the help text):
 * help and version exit 0, anything else (unknown flag, missing argument) is a usage error,
 * with the failure document too when the command line asks for `--json`.
 */
export const exitOnCommanderError = (error: Error & { code?: string }): never => {
  const informational =
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.help' ||
    error.code === 'commander.version';
  if (!informational && asksForJson(process.argv.slice(2)))
    printFailureDocument({
      exitCode: ExitCode.Usage,
      // `unknown option '--dryrun'` and, on its own line, `(Did you mean --dry-run?)`: one line.
      line: error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '),
      code: 'invalid-option',
      members: {},
    });
  process.exit(informational ? ExitCode.Clean : ExitCode.Usage);
};

/**
 * Whether the command line asks for `--json` (before a `--`): for the failures that come before
 * a command has its flags (a bad flag value, an unknown flag, an invalid environment).
 */
export const asksForJson = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
};
