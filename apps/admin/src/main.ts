/**
 * The admin app: `npm start`. Applies pending schema migrations at start-up, then serves
 * the admin API (bearer ADMIN_TOKEN) and /health.
 *
 * Exit codes: 2 when the environment is invalid or ADMIN_TOKEN is unset (one line on
 * stderr, nothing started); 3 when the app could not start (e.g. a store is unreachable).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidOptionError } from '#tenant-migration';
import { type EnvironmentVariables, validateEnvironment } from '../../shared/environment.js';
import { configureApp } from './configure-app.js';

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
  const app = configureApp(await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] }));
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
  // The actual address: with PORT=0 the system picks the port.
  new Logger('Admin').log(`listening on ${await app.getUrl()}`);
};

bootstrap().catch((error: unknown) => {
  fail(3, error instanceof Error ? error.message : String(error));
});
