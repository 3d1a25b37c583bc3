/**
 * The admin app in the test's own process, exactly as production serves it: the real AppModule
 * with the production HTTP setup (`configureApp`), configured by the environment it is given.
 */
import type { Server } from 'node:http';
import { Test } from '@nestjs/testing';
import type { INestApplication, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '#tenant-migration';

/**
 * The admin API's rate limit of the suites, which fire hundreds of requests in seconds: high
 * enough never to be reached, so the guard runs as in production without refusing any. A test
 * of the limit itself sets ADMIN_RATE_LIMIT and ADMIN_RATE_WINDOW_MS in `env`.
 */
const SUITE_RATE_LIMIT = { ADMIN_RATE_LIMIT: '1000000', ADMIN_RATE_WINDOW_MS: '60000' };

/**
 * Sets `env` (over a rate limit no suite reaches) and starts the app. The module graph reads the environment when it is imported,
 * so this is the one app a test file can start (a second would reuse the first's settings).
 */
export const startAdminApp = async (
  env: Record<string, string>,
  logger: false | LogLevel[] = false,
): Promise<INestApplication<Server>> => {
  Object.assign(process.env, SUITE_RATE_LIMIT, env);
  const { AppModule } = await import('../../apps/admin/src/app.module.js');
  const { configureApp } = await import('../../apps/admin/src/configure-app.js');
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = configureApp(moduleRef.createNestApplication<NestExpressApplication>({ logger }));
  await app.init();
  return app;
};

/**
 * Closes the app, dropping its Redis connection first: the Redis module's QUIT would wait for a
 * server that stopped answering, and it quits only the first application's clients of a process.
 */
export const closeAdminApp = async (app: INestApplication | undefined): Promise<void> => {
  if (!app) return;
  app.get<Redis>(TENANT_REDIS, { strict: false }).disconnect();
  await app.close();
};
