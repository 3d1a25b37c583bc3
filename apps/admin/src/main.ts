/**
 * The admin app: `npm start`. Applies pending schema migrations at start-up, then serves
 * the admin API (bearer ADMIN_TOKEN) and /health.
 */
import 'reflect-metadata';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { AppModule } from './app.module.js';
import { validateEnvironment } from '../../shared/environment.js';

const bootstrap = async (): Promise<void> => {
  const env = validateEnvironment(process.env);
  if (!env.ADMIN_TOKEN) {
    process.stderr.write('tenant-migrate admin: set ADMIN_TOKEN (16+ characters); the admin API never runs unauthenticated\n');
    process.exit(2);
  }
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  app.use(helmet());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  await app.listen(env.PORT, env.HOST);
  new Logger('Admin').log(`listening on http://${env.HOST}:${env.PORT}`);
};

bootstrap().catch((error: unknown) => {
  process.stderr.write(`tenant-migrate admin: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(3);
});
