/**
 * The OpenAPI document end to end, on the real app: every route the Express router serves is in
 * `/api/docs-json` with its method (a route added without documentation fails here), every
 * operation has a 2xx answer with a schema, the admin routes name the bearer scheme, and the
 * Swagger UI at `/api/docs` loads only assets the app serves itself. The reports (`?action=`
 * check, stats, report, test; validate, dry-run, cleanup; every operation kind's result) are
 * compared member by member with real answers of the app on a few seeded tenants: a member an
 * answer has and its schema lacks, or one the schema requires and the answer lacks, fails here;
 * so is a tenant lookup in each of its states.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import {
  BackupResponse,
  BackupVerifyReportResponse,
  CleanupResultResponse,
  BackupsResponse,
  IntegrityReportResponse,
  LastRunResponse,
  MigrationRunResponse,
  MigrationReportResponse,
  MigrationResultResponse,
  MigrationStatsResponse,
  PostgresRestoreReportResponse,
  RedisRestoreReportResponse,
  RunsResponse,
  SelfTestReportResponse,
  SyncAllResultResponse,
  SyncResponse,
  TenantLookupResponse,
  ValidationReportResponse,
} from '#tenant-migration';
import { OperationResponse } from '../libs/tenant-migration/src/http/operation.responses.js';
import {
  OPERATION_KINDS,
  type OperationKind,
} from '../libs/tenant-migration/src/operations/operation.types.js';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { bodyOf } from './support/body.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';
import { operationsApi, type OperationBody } from './support/operations.js';

const ADMIN_TOKEN = 'tm-openapi-test-token-0123456789ab';
const NAMESPACE = testNamespace('openapi');
const PREFIX = `${NAMESPACE}subdomain:`;
const DOCS = '/api/docs';
const ADMIN = '/api/admin/migration';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

/** A schema of the document: inline, or a reference to one of its components. */
type Schema = SchemaObject | ReferenceObject;

const COMPONENT = '#/components/schemas/';

/** `#/components/schemas/<name>` of a response class. */
const refTo = (response: { name: string }): ReferenceObject => ({
  $ref: `${COMPONENT}${response.name}`,
});

/** The schema itself, references followed. */
const resolved = (document: OpenAPIObject, schema: Schema): SchemaObject => {
  if (!('$ref' in schema)) return schema;
  const name = schema.$ref.slice(COMPONENT.length);
  const component = document.components?.schemas?.[name];
  assert.ok(component, `${schema.$ref} is not in the document`);
  return resolved(document, component);
};

/**
 * Where `value` (a JSON answer) parts from `schema`, one line each; none when it fits. An object
 * schema that lists its properties is closed: a member it does not list is a mismatch (the
 * classes behind the document never say `additionalProperties: false`, but a report's schema is
 * meant to name every member). A `oneOf` must fit exactly one branch.
 */
const mismatches = (
  document: OpenAPIObject,
  schema: Schema,
  value: unknown,
  at = '$',
): string[] => {
  const s = resolved(document, schema);
  if (value === null) return s.nullable ? [] : [`${at}: null, and not nullable`];
  if (s.allOf) return s.allOf.flatMap((part) => mismatches(document, part, value, at));
  if (s.oneOf) {
    const fits = s.oneOf.filter((branch) => mismatches(document, branch, value, at).length === 0);
    return fits.length === 1 ? [] : [`${at}: fits ${fits.length} of its oneOf branches, not 1`];
  }
  if (s.enum && !s.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} is not in its enum`];
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const members = value as Record<string, unknown>;
      const problems = (s.required ?? [])
        .filter((name) => !(name in members))
        .map((name) => `${at}.${name}: required, and absent`);
      for (const [name, member] of Object.entries(members)) {
        const property = s.properties?.[name];
        if (property) problems.push(...mismatches(document, property, member, `${at}.${name}`));
        else if (typeof s.additionalProperties === 'object')
          problems.push(...mismatches(document, s.additionalProperties, member, `${at}.${name}`));
        else if (s.properties || s.additionalProperties === false)
          problems.push(`${at}.${name}: not in the schema`);
      }
      return problems;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: not an array`];
      const { items } = s;
      assert.ok(items, `${at}: an array schema without items`);
      return value.flatMap((item, i) => mismatches(document, items, item, `${at}[${i}]`));
    }
    case 'string':
      if (typeof value !== 'string') return [`${at}: not a string`];
      if (s.format === 'date-time' && Number.isNaN(Date.parse(value)))
        return [`${at}: not a date-time`];
      if (s.format === 'uuid' && !UUID.test(value)) return [`${at}: not a uuid`];
      return [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case undefined:
      return [];
    default:
      return [`${at}: unknown schema type ${JSON.stringify(s.type)}`];
  }
};

/** The members an object schema declares (resolved), sorted. */
const propertyNames = (document: OpenAPIObject, schema: Schema): string[] =>
  Object.keys(resolved(document, schema).properties ?? {}).sort();

/** The JSON answer's schema of one status of one route. */
const answerSchema = (
  document: OpenAPIObject,
  path: string,
  method: 'get' | 'post',
  status: string,
): Schema => {
  const response = document.paths[path]?.[method]?.responses[status];
  assert.ok(response && 'content' in response, `${method} ${path} ${status}: no content`);
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} ${status}: no JSON schema`);
  return schema;
};

/** The result schema of each operation kind: the report its task answers. */
const RESULT_OF_KIND: Record<OperationKind, { name: string }> = {
  migrate: MigrationResultResponse,
  'dry-run': MigrationResultResponse,
  validate: ValidationReportResponse,
  check: IntegrityReportResponse,
  report: MigrationReportResponse,
  backup: BackupResponse,
  'backup-postgres': BackupResponse,
  'backup-verify': BackupVerifyReportResponse,
  restore: RedisRestoreReportResponse,
  'restore-postgres': PostgresRestoreReportResponse,
  cleanup: CleanupResultResponse,
  'sync-drifted': SyncAllResultResponse,
  'sync-pending': SyncAllResultResponse,
  'self-test': SelfTestReportResponse,
};

describe('OpenAPI document and Swagger UI', () => {
  let app: INestApplication<Server>;
  let document: OpenAPIObject;
  let redis: Redis;
  let backupDir: string;

  before(async () => {
    const databaseUrl = await createTestDatabase('openapi');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-openapi-'));
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN,
      BACKUP_DIR: backupDir,
      OPERATION_HEARTBEAT_MS: '100',
    });
    const answer = await request(app.getHttpServer()).get(`${DOCS}-json`).expect(200);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    document = JSON.parse(answer.text) as OpenAPIObject;
  });

  after(async () => {
    await closeAdminApp(app);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    redis.disconnect();
    await rm(backupDir, { recursive: true, force: true });
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

  describe('the reports, member by member, against real answers', () => {
    const api = operationsApi(() => app.getHttpServer(), ADMIN_TOKEN);
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const key = (subdomain: string) => `${PREFIX}${subdomain}`;
    /** The answers the checks below compare, by what asked for them. */
    const answers = new Map<string, unknown>();
    /** Operations that succeeded, one of each kind at the end. */
    const operations: OperationBody[] = [];
    let redisBackupId = '';
    let postgresBackupId = '';

    const succeeded = async (params: Record<string, unknown>): Promise<OperationBody> => {
      const done = await api.until((await api.start(params)).id);
      assert.equal(
        done.status,
        'succeeded',
        `${String(params.kind)}: ${JSON.stringify(done.error)}`,
      );
      return done;
    };

    const backup = async (postgres: boolean): Promise<string> => {
      const res = await api
        .http()
        .post(ADMIN)
        .set(auth)
        .send(postgres ? { action: 'backup', postgres: true } : { action: 'backup' });
      assert.equal(res.status, 201, res.text);
      answers.set(postgres ? 'POST backup postgres' : 'POST backup', res.body);
      return bodyOf<{ id: string }>(res).id;
    };

    /**
     * Data that gives every report something in each of its lists: legacy and enhanced
     * tenants, a value that is not JSON and a hash (rejected), a migration, then drift of each
     * kind, a Redis and a PostgreSQL backup, the Redis one verified against live Redis after a
     * change and a key it does not hold.
     */
    before(async () => {
      for (const subdomain of ['alpha', 'bravo', 'charlie', 'delta'])
        await redis.set(key(subdomain), legacy('🍕'));
      await redis.set(key('echo'), JSON.stringify(ENHANCED));
      await redis.set(key('broken'), '{not json');
      await redis.hset(key('hashed'), 'emoji', '🍕');
      operations.push(await succeeded({ kind: 'migrate' }));
      await redis.set(key('alpha'), legacy('🌮'));
      await redis.del(key('bravo'));
      await redis.set(key('foxtrot'), legacy('🥨'));
      redisBackupId = await backup(false);
      postgresBackupId = await backup(true);
      await redis.set(key('charlie'), legacy('🍔'));
      await redis.set(key('golf'), legacy('🍩'));
      operations.push(
        await succeeded({ kind: 'backup-verify', backup: redisBackupId, live: true }),
      );
    });

    it('documents the report routes as a oneOf of named schemas, none of them open', () => {
      assert.deepEqual(answerSchema(document, ADMIN, 'get', '200'), {
        oneOf: [
          LastRunResponse,
          RunsResponse,
          BackupsResponse,
          IntegrityReportResponse,
          MigrationStatsResponse,
          MigrationReportResponse,
          SelfTestReportResponse,
        ].map(refTo),
      });
      assert.deepEqual(answerSchema(document, ADMIN, 'post', '200'), {
        oneOf: [
          ValidationReportResponse,
          MigrationResultResponse,
          SyncResponse,
          CleanupResultResponse,
        ].map(refTo),
      });
      assert.deepEqual(answerSchema(document, ADMIN, 'post', '201'), refTo(BackupResponse));
      // Every kind has its result schema here, and the operation's `result` is one of those.
      assert.deepEqual(Object.keys(RESULT_OF_KIND).sort(), [...OPERATION_KINDS].sort());
      const result = resolved(document, refTo(OperationResponse)).properties?.result;
      assert.ok(result && !('$ref' in result), 'OperationResponse.result');
      assert.equal(result.nullable, true);
      assert.deepEqual(
        (result.oneOf ?? []).map((branch) => ('$ref' in branch ? branch.$ref : '')).sort(),
        [...new Set(Object.values(RESULT_OF_KIND))].map((r) => refTo(r).$ref).sort(),
      );
    });

    it('GET ?action=status and runs, and a run, answer exactly the members of their schemas', async () => {
      const route = answerSchema(document, ADMIN, 'get', '200');
      const status = bodyOf<{ lastRun: { id: string } | null }>(
        await api.http().get(ADMIN).query({ action: 'status' }).set(auth),
      );
      assert.ok(status.lastRun, 'the suite migrated, so there is a last run');
      assert.deepEqual(mismatches(document, refTo(LastRunResponse), status), []);
      assert.deepEqual(mismatches(document, route, status), []);
      const runs = bodyOf<{ runs: unknown[] }>(
        await api.http().get(ADMIN).query({ action: 'runs' }).set(auth),
      );
      assert.ok(runs.runs.length > 0);
      assert.deepEqual(mismatches(document, refTo(RunsResponse), runs), []);
      const run = bodyOf<Record<string, unknown>>(
        await api.http().get(`${ADMIN}/runs/${status.lastRun.id}`).set(auth),
      );
      assert.deepEqual(
        Object.keys(run).sort(),
        propertyNames(document, refTo(MigrationRunResponse)),
      );
      assert.deepEqual(mismatches(document, refTo(MigrationRunResponse), run), []);
    });

    it('GET ?action=check, stats, report and test answer exactly the members of their schemas', async () => {
      const route = answerSchema(document, ADMIN, 'get', '200');
      for (const [action, response] of [
        ['check', IntegrityReportResponse],
        ['stats', MigrationStatsResponse],
        ['report', MigrationReportResponse],
        ['test', SelfTestReportResponse],
      ] as const) {
        const res = await api.http().get(ADMIN).query({ action }).set(auth);
        assert.equal(res.status, 200, `${action}: ${res.text}`);
        const answer = bodyOf<Record<string, unknown>>(res);
        answers.set(`GET ${action}`, answer);
        // Every member of these reports is required: the names are the same, in any order.
        assert.deepEqual(
          Object.keys(answer).sort(),
          propertyNames(document, refTo(response)),
          action,
        );
        assert.deepEqual(mismatches(document, refTo(response), answer), [], action);
        assert.deepEqual(mismatches(document, route, answer), [], `${action}: the route's oneOf`);
      }
      // The lists held items, so their item schemas were compared too.
      const check = answers.get('GET check') as {
        drift: { kind: string; fields?: unknown[] }[];
        invalidRecords: unknown[];
      };
      assert.deepEqual([...new Set(check.drift.map((d) => d.kind))].sort(), [
        'different',
        'only-in-postgres',
        'only-in-redis',
      ]);
      assert.ok(check.drift.some((d) => (d.fields ?? []).length > 0));
      assert.ok(check.invalidRecords.length > 0);
      const stats = answers.get('GET stats') as { lastRuns: unknown[]; backups: unknown[] };
      assert.ok(stats.lastRuns.length > 0 && stats.backups.length > 0);
      const test = answers.get('GET test') as { tests: { warnings?: string[] }[] };
      assert.equal(test.tests.length, 3);
      assert.ok(test.tests.some((t) => (t.warnings ?? []).length > 0));
    });

    it('POST validate, dry-run, cleanup, sync and backup answer exactly the members of their schemas', async () => {
      const route = answerSchema(document, ADMIN, 'post', '200');
      for (const [label, body, response] of [
        ['validate', { action: 'validate' }, ValidationReportResponse],
        ['dry-run', { action: 'dry-run' }, MigrationResultResponse],
        ['migrate dryRun', { action: 'migrate', dryRun: true }, MigrationResultResponse],
        ['cleanup', { action: 'cleanup' }, CleanupResultResponse],
        ['sync', { action: 'sync', subdomain: 'alpha', dryRun: true }, SyncResponse],
      ] as const) {
        const res = await api.http().post(ADMIN).set(auth).send(body);
        assert.equal(res.status, 200, `${label}: ${res.text}`);
        const answer = bodyOf<Record<string, unknown>>(res);
        answers.set(`POST ${label}`, answer);
        assert.deepEqual(mismatches(document, refTo(response), answer), [], label);
        assert.deepEqual(mismatches(document, route, answer), [], `${label}: the route's oneOf`);
      }
      for (const label of ['POST backup', 'POST backup postgres'])
        assert.deepEqual(
          mismatches(document, refTo(BackupResponse), answers.get(label)),
          [],
          label,
        );
      const validate = answers.get('POST validate') as { samples: unknown[] };
      assert.ok(validate.samples.length > 0);
      const cleanup = answers.get('POST cleanup') as {
        dryRun: boolean;
        samples: { outcome: string }[];
        keptByReason: Record<string, number>;
      };
      assert.equal(cleanup.dryRun, true);
      assert.deepEqual([...new Set(cleanup.samples.map((s) => s.outcome))].sort(), [
        'deleted',
        'kept',
      ]);
      assert.ok(Object.keys(cleanup.keptByReason).length > 1);
    });

    it('GET /api/admin/tenants/:subdomain answers exactly the members of its schema, in every state', async () => {
      const path = '/api/admin/tenants/{subdomain}';
      assert.deepEqual(answerSchema(document, path, 'get', '200'), refTo(TenantLookupResponse));
      const states = new Set<string>();
      for (const subdomain of ['alpha', 'bravo', 'delta', 'echo', 'broken', 'hashed', 'golf']) {
        const res = await api.http().get(`/api/admin/tenants/${subdomain}`).set(auth);
        assert.equal(res.status, 200, `${subdomain}: ${res.text}`);
        const answer = bodyOf<{ state: string; redis: object | null; postgres: object | null }>(
          res,
        );
        states.add(answer.state);
        assert.deepEqual(
          Object.keys(answer).sort(),
          propertyNames(document, refTo(TenantLookupResponse)),
          subdomain,
        );
        assert.deepEqual(mismatches(document, refTo(TenantLookupResponse), answer), [], subdomain);
      }
      assert.deepEqual([...states].sort(), [
        'different',
        'invalid-in-redis',
        'matching',
        'only-in-postgres',
        'only-in-redis',
      ]);
      // The history's lists held items too: a sync's audit entry, a run's quarantine.
      const alpha = bodyOf<{ history: { audit: unknown[] } }>(
        await api.http().get('/api/admin/tenants/alpha').set(auth),
      );
      assert.ok(alpha.history.audit.length > 0);
      const broken = bodyOf<{ history: { exceptions: unknown[] } }>(
        await api.http().get('/api/admin/tenants/broken').set(auth),
      );
      assert.ok(broken.history.exceptions.length > 0);
    });

    it('gives every operation kind the result schema of its kind', async () => {
      const started = await Promise.all(
        [
          { kind: 'dry-run' },
          { kind: 'validate' },
          { kind: 'check' },
          { kind: 'report' },
          { kind: 'backup' },
          { kind: 'backup-postgres' },
          { kind: 'restore', backup: redisBackupId },
          { kind: 'restore-postgres', backup: postgresBackupId },
          { kind: 'cleanup' },
          { kind: 'sync-drifted', dryRun: true },
          { kind: 'sync-pending', dryRun: true },
          { kind: 'self-test' },
        ].map((params) => api.start(params)),
      );
      for (const { id } of started) {
        const done = await api.until(id);
        assert.equal(done.status, 'succeeded', `${done.kind}: ${JSON.stringify(done.error)}`);
        operations.push(done);
      }
      assert.deepEqual(operations.map((o) => o.kind).sort(), [...OPERATION_KINDS].sort());
      for (const operation of operations) {
        const { kind, result } = operation;
        assert.deepEqual(
          mismatches(document, refTo(RESULT_OF_KIND[kind as OperationKind]), result),
          [],
          kind,
        );
        // The whole operation, its result fitting exactly one of the kinds' schemas.
        assert.deepEqual(mismatches(document, refTo(OperationResponse), operation), [], kind);
      }
      const verify = operations.find((o) => o.kind === 'backup-verify')?.result as {
        live?: { samples: unknown[] };
      };
      assert.ok((verify.live?.samples ?? []).length > 0, 'the live comparison has samples');
      const sync = operations.find((o) => o.kind === 'sync-drifted')?.result as {
        results: unknown[];
      };
      assert.ok(sync.results.length > 0);
    });
  });
});
