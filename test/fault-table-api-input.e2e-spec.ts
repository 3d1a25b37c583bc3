/**
 * The admin API's fault table for input: every route and action of the README's route table
 * with out-of-range numbers, wrong types, oversized bodies and strings, unknown properties,
 * actions and routes, bodies that are not JSON, impossible subdomains, and missing or wrong
 * credentials. Each row expects the documented 4xx problem document
 * (test/support/api-fault-table.ts), never a 500, and `/health` answers 200 after every row.
 *
 * The real AppModule with the production HTTP setup, in this process, against this file's own
 * database and key prefix.
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
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { legacy } from './support/tenant-fixtures.js';
import { bodyOf, type RunStartedBody } from './support/body.js';
import { settledRun } from './support/run-polling.js';
import {
  answerOf,
  assertProblemAnswer,
  HEALTHY,
  rowName,
  type ApiFaultRow,
} from './support/api-fault-table.js';

const NAMESPACE = testNamespace('fault_table_api_input');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-fault-table-api-token-0123456789';
const BASE = '/api/admin/migration';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const UNKNOWN_RUN = '00000000-0000-4000-8000-000000000000';

let app: INestApplication<Server>;
/** A finished run with quarantined keys, set in `before`. */
let runId = UNKNOWN_RUN;

const http = () => request(app.getHttpServer());
const get = (path: () => string) => () => http().get(path()).set(AUTH);
/** A POST of exactly these bytes as JSON (or as `type`). */
const post =
  (raw: string, type = 'application/json') =>
  () =>
    http().post(BASE).set(AUTH).set('Content-Type', type).send(raw);
const body = (value: unknown) => post(JSON.stringify(value));

const POST_ACTIONS = ['migrate', 'dry-run', 'validate', 'backup', 'sync', 'cleanup'] as const;
const GET_ACTIONS = ['status', 'runs', 'backups', 'check', 'stats', 'report', 'test'] as const;
/** What each action needs besides `action` to be a valid request. */
const VALID: Record<(typeof POST_ACTIONS)[number], Record<string, unknown>> = {
  migrate: {},
  'dry-run': {},
  validate: {},
  backup: {},
  sync: { subdomain: 'tenant-1' },
  cleanup: {},
};
/** A number a client may send, as JSON text: out of range, not an integer, not a number, or not JSON at all. */
const BAD_NUMBERS = [
  '-1',
  '0',
  '1e20',
  '9223372036854775807',
  '1e400',
  '1.5',
  '50001',
  '"NaN"',
  '"0x10"',
  '"100"',
  '[1]',
  '{}',
  'true',
];
/** The same, in a query string (where everything is text). */
const BAD_QUERY_NUMBERS = [
  '-1',
  '1e20',
  '9223372036854775807',
  'NaN',
  '0x10',
  '1.5',
  'Infinity',
  '',
  ' 5',
  '1'.repeat(400),
];
const MAX_OFFSET = '9007199254740991';
const ranged = (parameter: string, min: number | string, max: number | string): RegExp =>
  new RegExp(
    `^${parameter} must (be |not be (less|greater) than \\d+ \\()an integer from ${min} to ${max}`,
  );
const POST_ACTION_LIST =
  /^action must be one of: migrate, dry-run, validate, backup, sync, cleanup$/;
const GET_ACTION_LIST =
  /^action must be one of: status, runs, backups, check, stats, report, test$/;
const NOT_JSON = /JSON/;
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const bad = (
  route: string,
  fault: string,
  send: () => request.Test,
  detail: RegExp,
  status = 400,
  code = 'bad-request',
): ApiFaultRow => ({ route, fault, send, status, code, detail });
const POST_ROUTE = `POST ${BASE}`;

const getActionRows: ApiFaultRow[] = [
  ...[
    '-1',
    '1e20',
    '9223372036854775807',
    'NaN',
    '0x10',
    'restore',
    '__proto__',
    'x'.repeat(10_000),
  ].map((value) =>
    bad(
      `GET ${BASE}?action=`,
      `action ${value.length > 40 ? 'of 10 kB' : JSON.stringify(value)}`,
      get(() => `${BASE}?action=${encodeURIComponent(value)}`),
      GET_ACTION_LIST,
    ),
  ),
  bad(
    `GET ${BASE}?action=`,
    'no action',
    get(() => BASE),
    GET_ACTION_LIST,
  ),
  bad(
    `GET ${BASE}?action=`,
    'action given twice (an array)',
    get(() => `${BASE}?action=status&action=runs`),
    GET_ACTION_LIST,
  ),
  bad(
    `GET ${BASE}?action=`,
    'action[] (an array)',
    get(() => `${BASE}?action[]=status`),
    /^property action\[\] should not exist$/,
  ),
  ...GET_ACTIONS.flatMap((action) => [
    bad(
      `GET ${BASE}?action=${action}`,
      'an unknown parameter',
      get(() => `${BASE}?action=${action}&x=1`),
      /^property x should not exist$/,
    ),
    bad(
      `GET ${BASE}?action=${action}`,
      'a parameter named __proto__',
      get(() => `${BASE}?action=${action}&__proto__=1`),
      /^property __proto__ should not exist$/,
    ),
  ]),
  bad(
    `GET ${BASE}?action=`,
    'a 100 kB query string',
    get(() => `${BASE}?action=${'x'.repeat(100_000)}`),
    /./,
    431,
    'request-header-fields-too-large',
  ),
];

const runRows: ApiFaultRow[] = [
  ...['-1', '1e20', '9223372036854775807', 'NaN', '0x10', 'x'.repeat(10_000)].map((id) =>
    bad(
      `GET ${BASE}/runs/:id`,
      `id ${id.length > 40 ? 'of 10 kB' : JSON.stringify(id)}`,
      get(() => `${BASE}/runs/${id}`),
      /uuid is expected/,
    ),
  ),
  bad(
    `GET ${BASE}/runs/:id`,
    'an unknown run',
    get(() => `${BASE}/runs/${UNKNOWN_RUN}`),
    new RegExp(`^no migration run ${UNKNOWN_RUN}$`),
    404,
    'migration-run-not-found',
  ),
  bad(
    `GET ${BASE}/runs/:id`,
    'an unknown parameter',
    get(() => `${BASE}/runs/${runId}?x=1`),
    /^property x should not exist$/,
  ),
  ...(['limit', 'offset'] as const).flatMap((parameter) =>
    BAD_QUERY_NUMBERS.map((value) =>
      bad(
        `GET ${BASE}/runs/:id/exceptions`,
        `${parameter}=${value.length > 40 ? '1 x 400' : JSON.stringify(value)}`,
        get(() => `${BASE}/runs/${runId}/exceptions?${parameter}=${encodeURIComponent(value)}`),
        parameter === 'limit' ? ranged('limit', 1, 1000) : ranged('offset', 0, MAX_OFFSET),
      ),
    ),
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions`,
    'offset given twice',
    get(() => `${BASE}/runs/${runId}/exceptions?offset=1&offset=2`),
    ranged('offset', 0, MAX_OFFSET),
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions`,
    'an unknown bucket',
    get(() => `${BASE}/runs/${runId}/exceptions?bucket=nope`),
    /^bucket must be one of the following values: rejected, skipped$/,
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions`,
    'bucket[] (an array)',
    get(() => `${BASE}/runs/${runId}/exceptions?bucket[]=rejected`),
    /^property bucket\[\] should not exist$/,
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions`,
    'an unknown parameter',
    get(() => `${BASE}/runs/${runId}/exceptions?x=1`),
    /^property x should not exist$/,
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions`,
    'an unknown run',
    get(() => `${BASE}/runs/${UNKNOWN_RUN}/exceptions`),
    new RegExp(`^no migration run ${UNKNOWN_RUN}$`),
    404,
    'migration-run-not-found',
  ),
  ...[`GET ${BASE}/runs/:id/exceptions`, `GET ${BASE}/runs/:id/exceptions/export`].flatMap(
    (route) => {
      const path = (query: string) => () =>
        `${BASE}/runs/${runId}/exceptions${route.endsWith('export') ? '/export' : ''}?${query}`;
      return [
        ...['Invalid-Json', '', 'a b', 'x'.repeat(65), '-json'].map((value) =>
          bad(
            route,
            `reason ${value.length > 40 ? 'of 65 characters' : JSON.stringify(value)}`,
            get(path(`reason=${encodeURIComponent(value)}`)),
            /^reason must be a reason code \(lower-case words joined by hyphens, at most 64 characters, e\.g\. invalid-json\)$/,
          ),
        ),
        bad(
          route,
          'reason given twice (an array)',
          get(path('reason=invalid-json&reason=wrong-type')),
          /^reason must be a string, not an array$/,
        ),
        bad(
          route,
          'subdomain of 254 characters',
          get(path(`subdomain=${'a'.repeat(254)}`)),
          /^subdomain must be 1-253 characters \(it has 254\)$/,
        ),
        bad(
          route,
          'an empty subdomain',
          get(path('subdomain=')),
          /^subdomain must be 1-253 characters \(it has 0\)$/,
        ),
        bad(
          route,
          'subdomain given twice (an array)',
          get(path('subdomain=a&subdomain=b')),
          /^subdomain must be a string, not an array$/,
        ),
      ];
    },
  ),
  ...['limit', 'offset', 'x', '__proto__'].map((name) =>
    bad(
      `GET ${BASE}/runs/:id/exceptions/export`,
      `${name}=1 (the export takes no paging)`,
      get(() => `${BASE}/runs/${runId}/exceptions/export?${name}=1`),
      new RegExp(`^property ${name} should not exist$`),
    ),
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions/export`,
    'an unknown bucket',
    get(() => `${BASE}/runs/${runId}/exceptions/export?bucket=nope`),
    /^bucket must be one of the following values: rejected, skipped$/,
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions/export`,
    'id not a UUID',
    get(() => `${BASE}/runs/not-a-uuid/exceptions/export`),
    /uuid is expected/,
  ),
  bad(
    `GET ${BASE}/runs/:id/exceptions/export`,
    'an unknown run',
    get(() => `${BASE}/runs/${UNKNOWN_RUN}/exceptions/export`),
    new RegExp(`^no migration run ${UNKNOWN_RUN}$`),
    404,
    'migration-run-not-found',
  ),
];

const numberRows: ApiFaultRow[] = (['migrate', 'dry-run', 'validate'] as const).flatMap((action) =>
  BAD_NUMBERS.map((value) =>
    bad(
      POST_ROUTE,
      `${action}, batchSize ${value}`,
      post(`{"action":"${action}","batchSize":${value}}`),
      ranged('batchSize', 1, 50000),
    ),
  ),
);

const typeRows: ApiFaultRow[] = [
  ...[
    '1',
    'null',
    'true',
    '["validate"]',
    '{"a":1}',
    '""',
    '"restore"',
    '"restore-postgres"',
    '"nope"',
    '"__proto__"',
    '"constructor"',
    JSON.stringify('x'.repeat(100_000)),
  ].map((value) =>
    bad(
      POST_ROUTE,
      `action ${value.length > 40 ? 'of 100 kB' : value}`,
      post(`{"action":${value}}`),
      POST_ACTION_LIST,
    ),
  ),
  ...(['migrate', 'dry-run', 'validate', 'sync'] as const).flatMap((action) =>
    ['"yes"', '1', '[true]'].map((value) =>
      bad(
        POST_ROUTE,
        `${action}, dryRun ${value}`,
        body({ action, ...VALID[action], dryRun: JSON.parse(value) as unknown }),
        /^dryRun must be a boolean value$/,
      ),
    ),
  ),
  ...(['migrate', 'dry-run', 'validate'] as const).flatMap((action) =>
    ['1', '"nope"', '["skip"]'].map((value) =>
      bad(
        POST_ROUTE,
        `${action}, conflictPolicy ${value}`,
        post(`{"action":"${action}","conflictPolicy":${value}}`),
        /^conflictPolicy must be one of the following values: keep-postgres, overwrite, skip$/,
      ),
    ),
  ),
  ...['"true"', '1'].map((value) =>
    bad(
      POST_ROUTE,
      `backup, postgres ${value}`,
      post(`{"action":"backup","postgres":${value}}`),
      /^postgres must be a boolean value$/,
    ),
  ),
  ...['"yes"', '1'].map((value) =>
    bad(
      POST_ROUTE,
      `cleanup, confirm ${value}`,
      post(`{"action":"cleanup","confirm":${value}}`),
      /^confirm must be a boolean value$/,
    ),
  ),
  ...['"both"', '1'].map((value) =>
    bad(
      POST_ROUTE,
      `sync, prefer ${value}`,
      post(`{"action":"sync","subdomain":"tenant-1","prefer":${value}}`),
      /^prefer must be one of the following values: redis, postgres$/,
    ),
  ),
  bad(
    POST_ROUTE,
    'sync, subdomain 42',
    post('{"action":"sync","subdomain":42}'),
    /^subdomain must be a string, not number$/,
  ),
  bad(
    POST_ROUTE,
    'sync, subdomain an array',
    post('{"action":"sync","subdomain":["tenant-1"]}'),
    /^subdomain must be a string, not an array$/,
  ),
  bad(
    POST_ROUTE,
    'sync, subdomain an object',
    post('{"action":"sync","subdomain":{"a":1}}'),
    /^subdomain must be a string, not object$/,
  ),
  bad(
    POST_ROUTE,
    'sync, subdomain null',
    post('{"action":"sync","subdomain":null}'),
    /^sync needs the tenant to reconcile/,
  ),
  bad(
    POST_ROUTE,
    'sync, no subdomain',
    post('{"action":"sync"}'),
    /^sync needs the tenant to reconcile/,
  ),
  bad(
    POST_ROUTE,
    'sync, a 100 kB subdomain',
    body({ action: 'sync', subdomain: 'a'.repeat(100_000) }),
    /^subdomain must be at most 253 characters \(it has 100000\)$/,
  ),
  bad(
    POST_ROUTE,
    'sync, a subdomain that is no DNS label',
    body({ action: 'sync', subdomain: 'a b' }),
    /^"a b" is not a valid subdomain: /,
    400,
    'invalid-subdomain',
  ),
  bad(
    POST_ROUTE,
    'sync, a tenant in neither store',
    body({ action: 'sync', subdomain: 'nobody-here' }),
    /^tenant "nobody-here" exists in neither Redis nor PostgreSQL$/,
    404,
    'tenant-not-found',
  ),
];

const shapeRows: ApiFaultRow[] = [
  ...POST_ACTIONS.flatMap((action) => [
    bad(
      POST_ROUTE,
      `${action}, an unknown property`,
      body({ action, ...VALID[action], x: 1 }),
      /^property x should not exist$/,
    ),
    bad(
      POST_ROUTE,
      `${action}, a property named __proto__`,
      post(`{"action":"${action}","__proto__":1}`),
      /^property __proto__ should not exist$/,
    ),
    bad(
      POST_ROUTE,
      `${action}, the body in an array`,
      body([{ action, ...VALID[action] }]),
      /property 0 should not exist/,
    ),
    bad(
      POST_ROUTE,
      `${action}, a 2 MB body`,
      body({ action, ...VALID[action], padding: 'x'.repeat(2_000_000) }),
      /^request entity too large$/,
      413,
      'payload-too-large',
    ),
  ]),
  ...[
    'null',
    '"validate"',
    '42',
    '{"action": ',
    "{'action':'validate'}",
    '{"action":"validate","batchSize":NaN}',
    '{"action":"validate","batchSize":0x10}',
  ].map((raw) => bad(POST_ROUTE, `a body that is not a JSON object: ${raw}`, post(raw), NOT_JSON)),
  // 100 kB is body-parser's 100kb: 102,400 bytes.
  bad(
    POST_ROUTE,
    'a body just over 100 kB',
    body({ action: 'validate', padding: 'x'.repeat(102_400) }),
    /^request entity too large$/,
    413,
    'payload-too-large',
  ),
  bad(POST_ROUTE, 'an array nested 50,000 deep', post(nested(50_000)), /./),
  bad(
    POST_ROUTE,
    'batchSize an array nested 50,000 deep',
    post(`{"action":"validate","batchSize":${nested(50_000)}}`),
    ranged('batchSize', 1, 50000),
  ),
  bad(
    POST_ROUTE,
    'an unknown query parameter',
    () => http().post(`${BASE}?x=1`).set(AUTH).send({ action: 'validate' }),
    /^property x should not exist$/,
  ),
  ...[
    ['backup', 'dryRun', 'true'],
    ['backup', 'batchSize', '10'],
    ['backup', 'conflictPolicy', '"skip"'],
    ['sync', 'batchSize', '10'],
    ['cleanup', 'dryRun', 'true'],
    ['validate', 'postgres', 'true'],
    ['migrate', 'confirm', 'true'],
    ['validate', 'subdomain', '"tenant-1"'],
  ].map(([action, property, value]) =>
    bad(
      POST_ROUTE,
      `${action} with ${property}`,
      post(
        `{"action":"${action}",${action === 'sync' ? '"subdomain":"tenant-1",' : ''}"${property}":${value}}`,
      ),
      new RegExp(`^property ${property} cannot be used with action ${action}$`),
    ),
  ),
];

const JSON_ONLY = /^the admin API accepts JSON only: send Content-Type: application\/json$/;
const mediaRows: ApiFaultRow[] = [
  bad(
    POST_ROUTE,
    'text/plain',
    post('{"action":"validate"}', 'text/plain'),
    JSON_ONLY,
    415,
    'unsupported-media-type',
  ),
  bad(
    POST_ROUTE,
    'a form',
    () => http().post(BASE).set(AUTH).type('form').send('action=validate'),
    JSON_ONLY,
    415,
    'unsupported-media-type',
  ),
  bad(
    POST_ROUTE,
    'no body, no content type',
    () => http().post(BASE).set(AUTH),
    JSON_ONLY,
    415,
    'unsupported-media-type',
  ),
  bad(
    POST_ROUTE,
    'multipart',
    () => http().post(BASE).set(AUTH).field('action', 'validate'),
    JSON_ONLY,
    415,
    'unsupported-media-type',
  ),
  bad(
    POST_ROUTE,
    'JSON in latin1',
    post('{"action":"validate"}', 'application/json; charset=latin1'),
    /^unsupported charset "LATIN1"$/,
    415,
    'unsupported-media-type',
  ),
];

const TENANTS = '/api/admin/tenants';
/** The message of InvalidSubdomainError for `input`, as typed (quoted, then every reason). */
const INVALID_SUBDOMAIN = (input: string) =>
  new RegExp(`^"${input.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}" is not a valid subdomain: `);
const tenantRows: ApiFaultRow[] = [
  ...['not valid!', 'www', '__proto__', 'xn--pizza', '-pizza', 'a'.repeat(64), '\u0000', '🍕'].map(
    (subdomain) =>
      bad(
        `GET ${TENANTS}/:subdomain`,
        `subdomain ${subdomain.length > 40 ? 'of 64 characters' : JSON.stringify(subdomain)}`,
        get(() => `${TENANTS}/${encodeURIComponent(subdomain)}`),
        INVALID_SUBDOMAIN(subdomain),
        400,
        'invalid-subdomain',
      ),
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'subdomain of 10 kB',
    get(() => `${TENANTS}/${'x'.repeat(10_000)}`),
    /^subdomain must be at most 253 characters \(it has 10000\)$/,
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'a subdomain that is not UTF-8 (%FF)',
    get(() => `${TENANTS}/%FF`),
    /^Failed to decode param '%FF'$/,
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'an unknown parameter',
    get(() => `${TENANTS}/tenant-1?x=1`),
    /^property x should not exist$/,
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'a parameter named __proto__',
    get(() => `${TENANTS}/tenant-1?__proto__=1`),
    /^property __proto__ should not exist$/,
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'a tenant in neither store',
    get(() => `${TENANTS}/nobody`),
    /^tenant "nobody" exists in neither Redis nor PostgreSQL$/,
    404,
    'tenant-not-found',
  ),
  bad(
    `GET ${TENANTS}/:subdomain`,
    'no subdomain',
    get(() => `${TENANTS}/`),
    /^Cannot GET \/api\/admin\/tenants\/$/,
    404,
    'not-found',
  ),
];

const UNAUTHORIZED = /^a valid admin bearer token is required$/;
const accessRows: ApiFaultRow[] = [
  ...[
    `GET ${BASE}?action=status`,
    `GET ${BASE}/runs/${UNKNOWN_RUN}`,
    `GET ${BASE}/runs/${UNKNOWN_RUN}/exceptions/export`,
    `GET ${TENANTS}/tenant-1`,
    `POST ${BASE}`,
  ].flatMap((route) => {
    const [method, path] = route.split(' ');
    const call = () =>
      method === 'GET' ? http().get(path) : http().post(path).send({ action: 'validate' });
    return [
      bad(route, 'no token', call, UNAUTHORIZED, 401, 'unauthorized'),
      bad(
        route,
        'a wrong token',
        () => call().set({ Authorization: 'Bearer wrong-token-0123456789' }),
        UNAUTHORIZED,
        401,
        'unauthorized',
      ),
      bad(
        route,
        'another scheme',
        () => call().set({ Authorization: `Basic ${TOKEN}` }),
        UNAUTHORIZED,
        401,
        'unauthorized',
      ),
    ];
  }),
  bad(
    `GET ${BASE}?action=status`,
    'a 20 kB token',
    () =>
      http()
        .get(`${BASE}?action=status`)
        .set({ Authorization: `Bearer ${'x'.repeat(20_000)}` }),
    /./,
    431,
    'request-header-fields-too-large',
  ),
  bad(
    `GET /api/admin/nope`,
    'an unknown route',
    get(() => '/api/admin/nope'),
    /^Cannot GET \/api\/admin\/nope$/,
    404,
    'not-found',
  ),
  bad(
    `DELETE ${BASE}`,
    'an unknown method',
    () => http().delete(BASE).set(AUTH),
    new RegExp(`^Cannot DELETE ${BASE}$`),
    404,
    'not-found',
  ),
  bad(
    `PUT ${BASE}`,
    'an unknown method',
    () => http().put(BASE).set(AUTH).send({ action: 'validate' }),
    new RegExp(`^Cannot PUT ${BASE}$`),
    404,
    'not-found',
  ),
  bad(
    `POST ${BASE}/runs/:id`,
    'an unknown method',
    () => http().post(`${BASE}/runs/${runId}`).set(AUTH).send({}),
    /^Cannot POST /,
    404,
    'not-found',
  ),
];

describe('admin API fault table: input', () => {
  let redis: Redis;
  let backupDir: string;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await redis.set(`${PREFIX}tenant-1`, legacy('🍕'));
    await redis.set(`${PREFIX}broken`, '{"emoji":');
    const databaseUrl = await createTestDatabase('fault_table_api_input');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-fault-table-api-input-'));
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: backupDir,
    });
    // A finished run with a quarantined key, for the run routes.
    const started = await http().post(BASE).set(AUTH).send({ action: 'migrate' });
    assert.equal(started.status, 202, started.text);
    runId = bodyOf<RunStartedBody>(started).runId;
    const run = await settledRun(
      () => http().get(`${BASE}/runs/${runId}`).set(AUTH),
      'the setup migration',
    );
    assert.equal(run.status, 'completed', `the setup migration: ${JSON.stringify(run)}`);
  });

  after(async () => {
    await closeAdminApp(app);
    if (redis) {
      await deleteByPattern(redis, `${NAMESPACE}*`);
      redis.disconnect();
    }
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  const table: [group: string, rows: ApiFaultRow[]][] = [
    ['GET actions', getActionRows],
    ['runs and their quarantine', runRows],
    ['numbers', numberRows],
    ['types, actions, subdomains', typeRows],
    ['body shapes and sizes, unknown and misplaced properties', shapeRows],
    ['media types', mediaRows],
    ['the tenants resource', tenantRows],
    ['credentials and routes', accessRows],
  ];
  for (const [group, rows] of table) {
    describe(group, () => {
      for (const row of rows) {
        it(rowName(row), async () => {
          const label = rowName(row);
          assertProblemAnswer(await answerOf(row.send(), label), row, label);
          const health = await answerOf(http().get('/health'), `${label}: /health`);
          assert.equal(health.status, 200, `${label}: /health afterwards: ${health.text}`);
          assert.deepEqual(health.body, HEALTHY, `${label}: /health afterwards`);
        });
      }
    });
  }
});
