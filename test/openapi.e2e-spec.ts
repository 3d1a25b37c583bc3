/**
 * The OpenAPI document end to end, on the real app: every route the Express router serves is in
 * `/api/docs-json` with its method (a route added without documentation fails here), every
 * operation has a 2xx answer with a schema, the admin routes name the bearer scheme, and the
 * Swagger UI at `/api/docs` loads only assets the app serves itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createTestDatabase, TEST_REDIS_URL, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';

const ADMIN_TOKEN = 'tm-openapi-test-token-0123456789ab';
const DOCS = '/api/docs';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** A layer of Express 5's router: a route's layer carries the route. */
interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** `METHOD /path` of every route the Express router has, in OpenAPI's path syntax. */
const routerOperations = (app: INestApplication<Server>): Set<string> => {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  const operations = new Set<string>();
  for (const { route } of express.router.stack) {
    if (!route || route.path === DOCS || route.path.startsWith(`${DOCS}/`)) continue;
    if (route.path.startsWith(`${DOCS}-`)) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
    for (const [method, on] of Object.entries(route.methods))
      if (on && method !== '_all') operations.add(`${method.toUpperCase()} ${path}`);
  }
  return operations;
};

const documentOperations = (document: OpenAPIObject): Set<string> => {
  const operations = new Set<string>();
  for (const [path, item] of Object.entries(document.paths))
    for (const method of METHODS)
      if (item[method]) operations.add(`${method.toUpperCase()} ${path}`);
  return operations;
};

describe('OpenAPI document and Swagger UI', () => {
  let app: INestApplication<Server>;
  let document: OpenAPIObject;

  before(async () => {
    const databaseUrl = await createTestDatabase('openapi');
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: testNamespace('openapi'),
      ADMIN_TOKEN,
    });
    const answer = await request(app.getHttpServer()).get(`${DOCS}-json`).expect(200);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    document = JSON.parse(answer.text) as OpenAPIObject;
  });

  after(async () => {
    await closeAdminApp(app);
  });

  it('documents exactly the routes the router has, method by method', () => {
    const routed = routerOperations(app);
    assert.ok(routed.has('POST /api/admin/migration'), [...routed].join(', '));
    assert.ok(routed.has('GET /metrics'), [...routed].join(', '));
    assert.deepEqual([...documentOperations(document)].sort(), [...routed].sort());
  });

  it('is OpenAPI 3 with the bearer scheme, on the admin and metrics routes', () => {
    assert.match(document.openapi, /^3\./);
    assert.deepEqual(document.components?.securitySchemes?.bearer, {
      scheme: 'bearer',
      bearerFormat: 'JWT',
      type: 'http',
    });
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const secured = (operation.security ?? []).some((s) => 'bearer' in s);
        assert.equal(secured, !path.startsWith('/health'), `${method} ${path} security`);
      }
    }
  });

  it('gives every operation a 2xx answer with a schema, and problem documents for errors', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const label = `${method.toUpperCase()} ${path}`;
        const ok = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
        assert.ok(
          ok.some(([code]) => code !== '204'),
          `${label}: no 2xx answer with content`,
        );
        // A 204 has no content by definition; every other 2xx answer has a schema.
        for (const [status, response] of ok.filter(([code]) => code !== '204')) {
          const content =
            response && 'content' in response ? Object.values(response.content ?? {}) : [];
          assert.ok(
            content.length > 0 && content.every((media) => media.schema !== undefined),
            `${label} ${status}: no schema`,
          );
        }
      }
    }
    const admin = document.paths['/api/admin/migration'];
    const problem = { $ref: '#/components/schemas/ProblemDocumentResponse' };
    for (const status of ['400', '401', '409', '429', '503'])
      assert.deepEqual(
        (admin.post?.responses[status] as { content: Record<string, unknown> }).content,
        { 'application/problem+json': { schema: problem } },
        `POST ${status}`,
      );
    assert.deepEqual(
      Object.keys(document.components?.schemas?.ProblemDocumentResponse ?? {}).sort(),
      ['properties', 'required', 'type'],
    );
  });

  it('serves the Swagger UI from the app itself: every script and style is local', async () => {
    const server = app.getHttpServer();
    const page = await request(server).get(DOCS).expect(200);
    assert.match(page.headers['content-type'] ?? '', /^text\/html/);
    const references = [...page.text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/g)].map(
      (match) => match[1],
    );
    assert.ok(
      references.some((ref) => ref.endsWith('swagger-ui-bundle.js')),
      references.join(),
    );
    for (const ref of references) {
      assert.doesNotMatch(ref, /^(?:[a-z]+:)?\/\//i, `${ref} is not local`);
      const asset = await request(server).get(new URL(ref, `http://app${DOCS}`).pathname);
      assert.equal(asset.status, 200, `${ref}: ${asset.status}`);
    }
    const init = await request(server).get(`${DOCS}/swagger-ui-init.js`).expect(200);
    assert.doesNotMatch(init.text, /unpkg|jsdelivr|cdnjs|validator\.swagger\.io/);
    // Helmet's policy allows the same-origin scripts and styles the page loads.
    assert.match(page.headers['content-security-policy'] ?? '', /script-src 'self'/);
  });
});
