/**
 * The admin app: `npm start`. Applies pending schema migrations at start-up, then serves
 * the admin API (bearer ADMIN_TOKEN), /health, and /metrics (bearer METRICS_TOKEN, else
 * ADMIN_TOKEN). Logs as text, or as JSON lines with LOG_FORMAT=json.
 *
 * Exit codes: 2 when the environment is invalid or ADMIN_TOKEN is unset (one line on
 * stderr, nothing started); 3 when the app could not start (e.g. a store is unreachable).
 */
import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidOptionError } from '#tenant-migration';
import { type EnvironmentVariables, validateEnvironment } from '../../shared/environment.js';
import { configureApp } from './configure-app.js';
import { errorMessage } from '#tenant-migration';

const fail = (code: number, message: string): never => {
  process.stderr.write(`tenant-migrate admin: ${message}\n`);
  process.exit(code);
};

const bootstrap = async (): Promise<void> => {
  let env: EnvironmentVariables;
  try {
    env = validateEnvironment(process.env);
  } catch (error) {
    if (error instanceof InvalidOptionError) return fail(2, error.message);
    throw error;
  }
  if (!env.ADMIN_TOKEN) {
    return fail(2, 'set ADMIN_TOKEN (16+ characters); the admin API never runs unauthenticated');
  }
  // The module graph validates and reads the environment as it loads: load it only now.
  const { AppModule } = await import('./app.module.js');
  // Colour codes only for a person at a terminal: Nest colours whenever NO_COLOR is unset, and
  // a log file, a pipe or a log collector would keep the ESC sequences as garbage.
  // LOG_FORMAT=json: one JSON object a line (level, pid, timestamp, message, context), never
  // coloured, for a log collector.
  const json = env.LOG_FORMAT === 'json';
  const colors =
    !json &&
    process.stdout.isTTY === true &&
    process.stderr.isTTY === true &&
    !process.env.NO_COLOR;
  const logger = new ConsoleLogger({ logLevels: ['log', 'warn', 'error'], colors, json });
  const app = configureApp(await NestFactory.create(AppModule, { logger }));
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
  // The actual address: with PORT=0 the system picks the port.
  new Logger('Admin').log(`listening on ${await app.getUrl()}`);
};

bootstrap().catch((error: unknown) => {
  fail(3, errorMessage(error));
});
