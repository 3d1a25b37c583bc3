/**
 * The CLI entrypoint: `npm run cli -- <command> [flags]`. Nest's own logger is off;
 * commands print their own output and one-line errors. Exit codes: see exit-codes.ts.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { validateEnvironment } from '../../shared/environment.js';
import { describeFailure, ExitCode, exitOnCommanderError } from './exit-codes.js';

const reportFailure = (error: unknown): void => {
  const { code, line } = describeFailure(error);
  process.stderr.write(`tenant-migrate: ${line}\n`);
  process.exitCode = code;
};

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
    });
  } catch (error) {
    reportFailure(error);
  }
};

await bootstrap();
// A failed start can leave a client reconnecting; the command is over either way.
process.exit(process.exitCode ?? ExitCode.Clean);
