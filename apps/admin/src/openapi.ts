import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDocumentResponse } from '#tenant-migration';

/** Where the Swagger UI is served; its OpenAPI document is at `${DOCS_PATH}-json`. */
export const DOCS_PATH = 'api/docs';
export const DOCS_JSON_PATH = `${DOCS_PATH}-json`;

/** The OpenAPI 3 document of the app's routes, built from their decorators and DTOs. */
export const openApiDocument = (app: INestApplication): OpenAPIObject =>
  SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('tenant-migrate admin API')
      .setDescription(
        'Errors are RFC 9457 problem documents (application/problem+json). The admin API ' +
          'needs the bearer ADMIN_TOKEN; /metrics the METRICS_TOKEN (else ADMIN_TOKEN).',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [ProblemDocumentResponse] },
  );

/**
 * Serves the Swagger UI at `/api/docs` and the document at `/api/docs-json`, both without a
 * token: they show the shapes of the routes, never data, and a browser cannot send a bearer
 * header when it opens a page. The UI's scripts and styles come from swagger-ui-dist in
 * node_modules, same-origin, so helmet's default CSP lets them load; no CDN is referenced.
 */
export const serveOpenApi = (app: INestApplication): void => {
  // Built on the first request, once every module's routes are known.
  SwaggerModule.setup(DOCS_PATH, app, () => openApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    swaggerOptions: { validatorUrl: null },
  });
};
