import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import helmet from 'helmet';
import { answerClientErrors } from './client-error-answer.js';
import { serveDashboard } from './dashboard.js';
import { serveOpenApi } from './openapi.js';

/**
 * The global HTTP setup of the admin app: security headers, and problem documents for the
 * requests the HTTP server refuses before any route sees them (a 431 for an oversized head).
 * (Request validation belongs to the mounted admin controller, which validates strictly whatever
 * the host configures.) The Swagger UI and OpenAPI document (`openapi.ts`), and the dashboard
 * at /admin (`dashboard.ts`). Shared by main.ts and the e2e tests, so the tests exercise exactly what
 * production serves. The HTTP server exists once the application is created, before `init()`.
 */
export const configureApp = <T extends NestExpressApplication<Server>>(app: T): T => {
  app.use(helmet());
  const server = app.getHttpServer();
  answerClientErrors(server);
  serveOpenApi(app);
  serveDashboard(app);
  return app;
};
