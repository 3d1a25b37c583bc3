/**
 * The admin app: `npm start`. Applies pending schema migrations at start-up, then serves
 * the admin API (bearer ADMIN_TOKEN), /health, and /metrics (bearer METRICS_TOKEN, else
 * ADMIN_TOKEN). Logs as text, or as JSON lines with LOG_FORMAT=json.
 *
 * Exit codes: 2 when the environment is invalid or ADMIN_TOKEN is unset (one line on
 * stderr, nothing started); 3 when the app could not start (e.g. a store is unreachable).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { errorMessage } from '#tenant-migration';
import { environmentOrExit, failStart, serviceLogger } from '../../shared/service-start.js';
import { configureApp } from './configure-app.js';

const fail = failStart('admin');

const bootstrap = async (): Promise<void> => {
  const env = environmentOrExit(fail);
  if (!env.ADMIN_TOKEN) {
    return fail(2, 'set ADMIN_TOKEN (16+ characters); the admin API never runs unauthenticated');
  }
  // The module graph validates and reads the environment as it loads: load it only now.
  const { AppModule } = await import('./app.module.js');
  const app = configureApp(
    await NestFactory.create<NestExpressApplication>(AppModule, { logger: serviceLogger(env) }),
  );
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
  // The actual address: with PORT=0 the system picks the port.
  new Logger('Admin').log(`listening on ${await app.getUrl()}`);
};

bootstrap().catch((error: unknown) => {
  fail(3, errorMessage(error));
});
