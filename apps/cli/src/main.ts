/**
 * The CLI entrypoint: `npm run cli -- <command> [flags]`. Nest's own logger is off;
 * commands print their own output and one-line errors. Exit codes: see exit-codes.ts.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { redactUrl } from '#tenant-migration';
import { validateEnvironment } from '../../shared/environment.js';
import { describeFailure, ExitCode, isConnectionError } from './exit-codes.js';

interface CommanderLikeError extends Error {
  code?: string;
}

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
      errorHandler: (error: CommanderLikeError) => {
        // Commander has already printed its one-line message (or the help text).
        const informational = error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version';
        process.exit(informational ? ExitCode.Clean : ExitCode.Usage);
      },
      serviceErrorHandler: (error: Error) => {
        const { code, line } = describeFailure(error);
        process.stderr.write(`tenant-migrate: ${line}\n`);
        process.exitCode = code;
      },
    });
  } catch (error) {
    if (isConnectionError(error)) {
      const url = redactUrl(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
      process.stderr.write(`tenant-migrate: cannot reach PostgreSQL at ${url}: ${(error as Error).message}\n`);
      process.exitCode = ExitCode.CouldNotRun;
    } else {
      const { code, line } = describeFailure(error);
      process.stderr.write(`tenant-migrate: ${line}\n`);
      process.exitCode = code;
    }
  }
};

await bootstrap();
// A failed start can leave a client reconnecting; the command is over either way.
process.exit(process.exitCode ?? ExitCode.Clean);
