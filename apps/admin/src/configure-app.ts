import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';

/**
 * The global HTTP setup of the admin app: security headers. (Request validation belongs to the
 * mounted admin controller, which validates strictly whatever the host configures.) Shared by
 * main.ts and the e2e tests, so the tests exercise exactly what production serves.
 */
export const configureApp = <T extends INestApplication>(app: T): T => {
  app.use(helmet());
  return app;
};
