/**
 * The CLI entrypoint: `npm run cli -- <command> [flags]`. Nest's own logger is off;
 * commands print their own output and one-line errors. Exit codes: see exit-codes.ts.
 * `--version` (`-V`) prints package.json's version and exits 0.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { validateEnvironment } from '../../shared/environment.js';
import {
  asksForJson,
  describeFailure,
  ExitCode,
  exitOnCommanderError,
  printFailureDocument,
} from './exit-codes.js';
import { packageVersion } from './package-version.js';
import { terminalText } from './terminal-text.js';

/**
 * A failure before the command had its flags (an invalid environment, a bad flag value): one
 * line, and with `--json` on the command line the failure document as a command prints it.
 */
const reportFailure = (error: unknown): void => {
  const failure = describeFailure(error);
  // the reason can quote a key or a value from the stores
  process.stderr.write(`tenant-migrate: ${terminalText(failure.line)}\n`);
  if (asksForJson(process.argv.slice(2))) printFailureDocument(failure);
  process.exitCode = failure.exitCode;
};

/**
 * A reader that stops early (`| head -c 100`) closes the pipe: the rest of the output has nowhere
 * to go, by the reader's choice. Unheard, Node raises that EPIPE as an uncaught error with a
 * stack trace. The stream is destroyed by then, so later writes are dropped silently; the command
 * still finishes and keeps its own exit code. Any other write failure (a full disk) means the
 * output is incomplete: exit 3, and say so on stderr when stderr is not the stream that failed.
 */
const onOutputError =
  (stream: 'stdout' | 'stderr') =>
  (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') return;
    process.exitCode = ExitCode.CouldNotRun;
    if (stream === 'stdout')
      process.stderr.write(
        `tenant-migrate: could not write the output: ${terminalText(error.message)}\n`,
      );
  };
process.stdout.on('error', onOutputError('stdout'));
process.stderr.on('error', onOutputError('stderr'));

/**
 * Resolves once everything written to the stream so far has been handed to the OS. To a pipe
 * or a socket, Node writes asynchronously: what the reader has not taken yet waits in the
 * process, and exiting drops it (a large `--json` document was cut at 128 KiB). An empty write
 * completes after every earlier one; on a destroyed stream (the reader left) it fails at once.
 */
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.write('', () => resolve());
  });

const bootstrap = async (): Promise<void> => {
  try {
    // Validate before the module graph is even loaded, so a bad variable is one clear line.
    validateEnvironment(process.env);
    const { CliModule } = await import('./cli.module.js');
    await CommandFactory.run(CliModule, {
      // Commands print their own output and errors; Nest's logger would add stack traces.
      logger: false,
      abortOnError: false,
      // Flags after a subcommand belong to it (`migrate --json`), not to the root command.
      enablePositionalOptions: true,
      // The root command extends this to every subcommand (see RootMigrateCommand).
      errorHandler: exitOnCommanderError,
      serviceErrorHandler: reportFailure,
      // Commander's `-V, --version` on the root command, read from package.json at start.
      version: packageVersion(new URL(import.meta.url)),
    });
  } catch (error) {
    reportFailure(error);
  }
};

await bootstrap();
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// Only now, with the output delivered: a failed start can leave a client reconnecting, which
// would keep the process alive, and the command is over either way.
process.exit(process.exitCode ?? ExitCode.Clean);
