/**
 * What the admin app and the worker do alike when they start: end with one line and an exit
 * code when they cannot, read the environment once, and log as the environment says.
 */
import { ConsoleLogger } from '@nestjs/common';
import { InvalidOptionError } from '#tenant-migration';
import { type EnvironmentVariables, validateEnvironment } from './environment.js';

/** Ends the process with `code` and one line on stderr, `tenant-migrate <name>: <message>`. */
export const failStart =
  (name: string) =>
  (code: number, message: string): never => {
    process.stderr.write(`tenant-migrate ${name}: ${message}\n`);
    process.exit(code);
  };

/** The validated environment, or the end of the process (exit 2, one line naming what is wrong). */
export const environmentOrExit = (fail: (code: number, message: string) => never) => {
  try {
    return validateEnvironment(process.env);
  } catch (error) {
    if (error instanceof InvalidOptionError) return fail(2, error.message);
    throw error;
  }
};

/**
 * The services' logger. Colour codes only for a person at a terminal: Nest colours whenever
 * NO_COLOR is unset, and a log file, a pipe or a log collector would keep the ESC sequences as
 * garbage. LOG_FORMAT=json: one JSON object a line (level, pid, timestamp, message, context),
 * never coloured, for a log collector.
 */
export const serviceLogger = (env: EnvironmentVariables): ConsoleLogger => {
  const json = env.LOG_FORMAT === 'json';
  const colors =
    !json &&
    process.stdout.isTTY === true &&
    process.stderr.isTTY === true &&
    !process.env.NO_COLOR;
  return new ConsoleLogger({ logLevels: ['log', 'warn', 'error'], colors, json });
};
