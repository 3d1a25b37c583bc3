import { type INestApplication, ValidationPipe } from '@nestjs/common';
import helmet from 'helmet';

/**
 * The global HTTP setup of the admin app: security headers and strict request validation
 * (unknown properties are refused, not silently dropped). Shared by main.ts and the e2e
 * tests, so the tests exercise exactly what production serves.
 */
export const configureApp = <T extends INestApplication>(app: T): T => {
  app.use(helmet());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  return app;
};
