/**
 * A standalone operations worker: `npm run worker`. Joins from any machine that reaches the same
 * PostgreSQL and Redis (DATABASE_URL, REDIS_URL): it takes queued operations from the job queue
 * in PostgreSQL and runs them, OPERATION_CONCURRENCY at a time, and marks interrupted the
 * operations of workers that stopped beating. Applies pending schema migrations at start-up.
 *
 * SIGINT and SIGTERM stop the operations it runs at their next batch boundary (each recorded
 * `interrupted`, to be resumed), then the process ends by that signal (exit status 130 / 143).
 *
 * Exit codes: 2 when the environment is invalid (one line on stderr, nothing started); 3 when
 * the worker could not start (e.g. a store is unreachable).
 */
import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { errorMessage, InvalidOptionError } from '#tenant-migration';
import { type EnvironmentVariables, validateEnvironment } from '../../shared/environment.js';

const fail = (code: number, message: string): never => {
  process.stderr.write(`tenant-migrate worker: ${message}\n`);
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
  const { WorkerModule } = await import('./worker.module.js');
  const json = env.LOG_FORMAT === 'json';
  const colors = !json && process.stderr.isTTY === true && !process.env.NO_COLOR;
  const logger = new ConsoleLogger({ logLevels: ['log', 'warn', 'error'], colors, json });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger });
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.init();
  new Logger('Worker').log(`worker ${process.pid} started`);
};

bootstrap().catch((error: unknown) => {
  fail(3, errorMessage(error));
});
