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
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { errorMessage } from '#tenant-migration';
import { environmentOrExit, failStart, serviceLogger } from '../../shared/service-start.js';

const fail = failStart('worker');

const bootstrap = async (): Promise<void> => {
  const env = environmentOrExit(fail);
  // The module graph validates and reads the environment as it loads: load it only now.
  const { WorkerModule } = await import('./worker.module.js');
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: serviceLogger(env),
  });
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.init();
  new Logger('Worker').log(`worker ${process.pid} started`);
};

bootstrap().catch((error: unknown) => {
  fail(3, errorMessage(error));
});
