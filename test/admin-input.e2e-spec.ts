/**
 * The admin API's answers at the edges of its input and when a store is down: every failure is
 * a prompt, clear 4xx/5xx problem body, never a 500, a hang or work accepted that cannot run.
 *
 * The real AppModule with the production HTTP setup, against a Redis of this file's own (killed
 * and restarted here; the shared one is never touched) and the real PostgreSQL reached through a
 * TCP proxy this file cuts and restores, so PostgreSQL "goes down" without touching the server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { assertProblem, domainProblem, httpProblem } from './support/problem.js';
import { assertWithin } from './support/timing.js';
import {
  bodyOf,
  messageOf,
  type DomainProblemBody,
  type ExceptionsPageBody,
  type ProblemBody,
  type RunStartedBody,
  type StatusBody,
  type ValidationBody,
} from './support/body.js';
import { settledRun } from './support/run-polling.js';
import { STORE_READINESS_TIMEOUT_MS } from '../libs/tenant-migration/src/http/store-readiness.js';

const NAMESPACE = testNamespace('admin_input');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-admin-input-token-0123456789ab';
const BASE = '/api/admin/migration';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
/**
 * How long a request waits for a store that is down: the readiness check (and /health's own
 * check, the same 2 s) gives up after this; the old code took 10-42 s.
 */
const READINESS_TIMEOUT_MS = STORE_READINESS_TIMEOUT_MS;
/** A supertest request still unanswered after this fails the test instead of hanging it. */
const REQUEST_TIMEOUT_MS = 8000;
const MAX_OFFSET = '9007199254740991';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('admin API: input edges and store outages', () => {
  let app: INestApplication<Server>;
  let privateRedis: PrivateRedis;
  let seeder: Redis;
  let db: pg.Client;
  let backupDir: string;
  let runId: string;
  let relay: TcpProxy;

  const http = () => request(app.getHttpServer());
  const runCount = async (): Promise<number> =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM migration_runs')).rows[0].n);
  /** Polls /health until both stores are up again (the clients reconnect on their own). */
  const untilHealthy = async (): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const res = await http().get('/health').timeout(REQUEST_TIMEOUT_MS);
      if (res.status === 200) return;
      await sleep(100);
    }
    assert.fail('the stores did not come back within 15 s');
  };
  /** Sends the request, asserting it is answered promptly; returns the response. */
  const timed = async (req: request.Test): Promise<request.Response> => {
    const started = Date.now();
    const res = await req.timeout(REQUEST_TIMEOUT_MS);
    const elapsed = Date.now() - started;
    assertWithin(elapsed, READINESS_TIMEOUT_MS, 'the answer');
    return res;
  };

  before(async () => {
    privateRedis = await startPrivateRedis();
    seeder = new Redis(privateRedis.url, { maxRetriesPerRequest: 1 });
    seeder.on('error', () => undefined);
    await seeder.set(`${PREFIX}pizza`, JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await seeder.set(`${PREFIX}broken`, '{"emoji":');
    const databaseUrl = await createTestDatabase('admin_input');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    relay = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const relayed = new URL(databaseUrl);
    relayed.port = String(relay.port);
    backupDir = await mkdtemp(join(tmpdir(), 'tm-admin-input-backups-'));

    app = await startAdminApp(
      {
        DATABASE_URL: relayed.toString(),
        REDIS_URL: privateRedis.url,
        TENANT_KEY_PREFIX: PREFIX,
        ADMIN_TOKEN: TOKEN,
        BACKUP_DIR: backupDir,
      },
      ['error'],
    );

    // A finished run with quarantined keys, for the exceptions route.
    const res = await http().post(BASE).set(AUTH).send({ action: 'migrate' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    runId = bodyOf<RunStartedBody>(res).runId;
    const run = await settledRun(
      () => http().get(`${BASE}/runs/${runId}`).set(AUTH),
      'the setup migration',
    );
    assert.equal(run.status, 'completed', `the setup migration: ${JSON.stringify(run)}`);
  });

  after(async () => {
    relay?.restore();
    await closeAdminApp(app);
    seeder?.disconnect();
    await db?.end();
    await relay?.close();
    await stopAllPrivateRedis();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  describe('numeric parameters are bounded', () => {
    it('the run used here finished with one rejected key', async () => {
      const res = await http().get(`${BASE}/runs/${runId}/exceptions`).set(AUTH);
      assert.equal(res.status, 200);
      assert.equal(bodyOf<ExceptionsPageBody>(res).exceptions.length, 1);
    });

    it('an offset or limit out of range or not a decimal integer is 400 naming the parameter and its range', async () => {
      const cases: [query: string, parameter: string, range: string][] = [
        ...[
          '9223372036854775807',
          '9223372036854775808',
          '1e20',
          '-1',
          '1.5',
          'abc',
          '',
          '0x10',
          ' 5',
          '9007199254740992',
          '1'.repeat(400),
        ].map((value): [string, string, string] => [
          `offset=${encodeURIComponent(value)}`,
          'offset',
          `from 0 to ${MAX_OFFSET}`,
        ]),
        ...['0', '1001', '1e3', 'ten', '2.5', '-5', '99999999999999999999'].map(
          (value): [string, string, string] => [`limit=${value}`, 'limit', 'from 1 to 1000'],
        ),
        ['offset=1&offset=2', 'offset', `from 0 to ${MAX_OFFSET}`],
      ];
      for (const [query, parameter, range] of cases) {
        const res = await http().get(`${BASE}/runs/${runId}/exceptions?${query}`).set(AUTH);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        const problem = bodyOf<ProblemBody>(res);
        assert.equal(problem.statusCode, 400, query);
        assert.equal(problem.error, 'Bad Request', query);
        const message = messageOf(res);
        assert.match(message, new RegExp(`^${parameter} must `), query);
        assert.ok(message.includes(`an integer ${range}`), `${query}: ${message}`);
        assert.doesNotMatch(res.text, /bigint|out of range for type|internal/, query);
      }
    });

    it('the largest offset and limit in range are answered (200, an empty page)', async () => {
      const res = await http()
        .get(`${BASE}/runs/${runId}/exceptions?offset=${MAX_OFFSET}&limit=1000`)
        .set(AUTH);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        limit: 1000,
        offset: Number(MAX_OFFSET),
        total: 1,
        exceptions: [],
      });
    });

    it('batchSize out of range or not an integer is 400 naming it and its range', async () => {
      for (const raw of [
        '1e20',
        '-1',
        '0',
        '1.5',
        '9223372036854775807',
        '50001',
        '"100"',
        '[1]',
        'true',
      ]) {
        const res = await http()
          .post(BASE)
          .set(AUTH)
          .set('Content-Type', 'application/json')
          .send(`{"action":"validate","batchSize":${raw}}`);
        assert.equal(res.status, 400, `${raw}: ${res.text}`);
        const message = messageOf(res);
        assert.match(message, /^batchSize must /, raw);
        assert.ok(message.includes('an integer from 1 to 50000'), `${raw}: ${message}`);
      }
    });
  });

  describe('unknown properties are refused whatever their name', () => {
    const names = [
      'constructor',
      'toString',
      'hasOwnProperty',
      '__proto__',
      'valueOf',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      '__defineGetter__',
      'prototype',
    ];

    it('in a POST body: 400 naming the property, and nothing runs', async () => {
      for (const name of names) {
        for (const value of ['1', '{}', '{"action":"migrate"}', 'null']) {
          const res = await http()
            .post(BASE)
            .set(AUTH)
            .set('Content-Type', 'application/json')
            .send(`{"action":"validate",${JSON.stringify(name)}:${value}}`);
          assert.equal(res.status, 400, `${name}: ${value}: ${res.text}`);
          assert.match(messageOf(res), new RegExp(`property ${name} should not exist`), name);
        }
      }
    });

    it('in a query: 400 naming the parameter', async () => {
      for (const name of names) {
        for (const path of [
          `${BASE}?action=status&${name}=1`,
          `${BASE}/runs/${runId}/exceptions?${name}=1`,
        ]) {
          const res = await http().get(path).set(AUTH);
          assert.equal(res.status, 400, `${path}: ${res.text}`);
          assert.match(messageOf(res), new RegExp(`property ${name} should not exist`), path);
        }
      }
    });

    it('a sync without a subdomain says that it needs one (not a length rule)', async () => {
      for (const body of [{ action: 'sync' }, { action: 'sync', subdomain: '' }]) {
        const res = await http().post(BASE).set(AUTH).send(body);
        assert.equal(res.status, 400, res.text);
        const { message } = bodyOf<ProblemBody>(res);
        assert.match(JSON.stringify(message), /sync needs the tenant to reconcile/);
        assert.doesNotMatch(JSON.stringify(message), /shorter than/);
      }
      const typed = await http().post(BASE).set(AUTH).send({ action: 'sync', subdomain: 42 });
      assert.match(
        JSON.stringify(bodyOf<ProblemBody>(typed).message),
        /subdomain must be a string, not number/,
      );
    });

    it('declared properties are still accepted', async () => {
      const res = await http().post(BASE).set(AUTH).send({ action: 'validate', batchSize: 10 });
      assert.equal(res.status, 200, res.text);
      assert.equal(bodyOf<ValidationBody>(res).scanned, 2);
    });
  });

  describe('JSON bodies only', () => {
    it('a form-encoded, text or bodiless POST is 415 with a problem body, and nothing runs', async () => {
      const before = await runCount();
      const attempts: [label: string, req: () => request.Test][] = [
        ['form-encoded', () => http().post(BASE).set(AUTH).type('form').send('action=dry-run')],
        [
          'form-encoded migrate',
          () => http().post(BASE).set(AUTH).type('form').send('action=migrate'),
        ],
        [
          'text/plain JSON',
          () =>
            http()
              .post(BASE)
              .set(AUTH)
              .set('Content-Type', 'text/plain')
              .send('{"action":"dry-run"}'),
        ],
        ['no content type', () => http().post(BASE).set(AUTH)],
        ['multipart', () => http().post(BASE).set(AUTH).field('action', 'dry-run')],
      ];
      for (const [label, attempt] of attempts) {
        const res = await attempt();
        assert.equal(res.status, 415, `${label}: ${res.text}`);
        assert.deepEqual(
          res.body,
          httpProblem(415, 'the admin API accepts JSON only: send Content-Type: application/json'),
          label,
        );
        assertProblem(res, 415, 'unsupported-media-type', undefined, label);
      }
      assert.equal(await runCount(), before, 'no run was recorded');
    });

    it('authentication still comes first: a form POST without a token is 401', async () => {
      const res = await http().post(BASE).type('form').send('action=dry-run');
      assert.equal(res.status, 401);
    });

    it('JSON with a charset is accepted; invalid JSON is 400; an oversized body is 413', async () => {
      const ok = await http()
        .post(BASE)
        .set(AUTH)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send('{"action":"validate"}');
      assert.equal(ok.status, 200, ok.text);
      for (const body of ['{"action": ', '{action:"validate"}', "{'action':'validate'}"]) {
        const bad = await http()
          .post(BASE)
          .set(AUTH)
          .set('Content-Type', 'application/json')
          .send(body);
        assert.equal(bad.status, 400, body);
        assert.equal(bodyOf<ProblemBody>(bad).statusCode, 400, body);
        assert.doesNotMatch(bad.text, /at .*\.js:\d+|node_modules|SyntaxError/, body);
      }
      const big = await http()
        .post(BASE)
        .set(AUTH)
        .send({ action: 'validate', padding: 'x'.repeat(200_000) });
      assert.equal(big.status, 413);
      assert.deepEqual(big.body, httpProblem(413, 'request entity too large'));
    });
  });

  describe('Redis down', () => {
    before(async () => {
      await privateRedis.kill();
    });

    it('migrate, dry-run, validate, backup, sync and cleanup answer 503 store-unavailable promptly, and record nothing', async () => {
      const before = await runCount();
      for (const body of [
        { action: 'migrate' },
        { action: 'dry-run' },
        { action: 'validate' },
        { action: 'backup' },
        { action: 'sync', subdomain: 'pizza' },
        { action: 'cleanup', confirm: true },
      ]) {
        const res = await timed(http().post(BASE).set(AUTH).send(body));
        assert.equal(res.status, 503, `${body.action}: ${res.text}`);
        assert.deepEqual(
          res.body,
          domainProblem(
            503,
            'store-unavailable',
            'Redis is unavailable: nothing was done; try again once it answers',
          ),
          body.action,
        );
      }
      assert.equal(await runCount(), before, 'no run was recorded');
    });

    it('the GET actions that read Redis are 503 too; those that read PostgreSQL only still answer', async () => {
      for (const action of ['check', 'stats', 'report', 'test']) {
        const res = await timed(http().get(`${BASE}?action=${action}`).set(AUTH));
        assert.equal(res.status, 503, `${action}: ${res.text}`);
        assert.equal(bodyOf<ProblemBody>(res).error, 'store-unavailable', action);
      }
      const status = await timed(http().get(`${BASE}?action=status`).set(AUTH));
      assert.equal(status.status, 200);
      assert.equal(bodyOf<StatusBody>(status).lastRun?.id, runId);
    });

    it('a bad request is still a 400, not a 503', async () => {
      const res = await timed(
        http().post(BASE).set(AUTH).send({ action: 'migrate', batchSize: 0 }),
      );
      assert.equal(res.status, 400);
    });

    it('/health still answers (503, redis down), and all is well once Redis is back', async () => {
      const health = await timed(http().get('/health'));
      assert.equal(health.status, 503);
      assert.deepEqual(health.body, { status: 'error', postgres: 'up', redis: 'down' });
      await privateRedis.restart();
      await untilHealthy();
      const res = await timed(http().post(BASE).set(AUTH).send({ action: 'validate' }));
      assert.equal(res.status, 200, res.text);
    });
  });

  describe('PostgreSQL down', () => {
    before(() => {
      relay.cut();
    });

    it('the POST actions that need PostgreSQL answer 503 store-unavailable promptly', async () => {
      for (const body of [
        { action: 'migrate' },
        { action: 'dry-run' },
        { action: 'backup', postgres: true },
        { action: 'sync', subdomain: 'pizza' },
        { action: 'cleanup' },
      ]) {
        const res = await timed(http().post(BASE).set(AUTH).send(body));
        assert.equal(res.status, 503, `${body.action}: ${res.text}`);
        assert.deepEqual(
          res.body,
          domainProblem(
            503,
            'store-unavailable',
            'PostgreSQL is unavailable: nothing was done; try again once it answers',
          ),
          body.action,
        );
      }
    });

    it('every GET route is 503 store-unavailable promptly, not a 500', async () => {
      for (const path of [
        `${BASE}?action=status`,
        `${BASE}?action=runs`,
        `${BASE}?action=backups`,
        `${BASE}?action=check`,
        `${BASE}/runs/${runId}`,
        `${BASE}/runs/${runId}/exceptions`,
      ]) {
        const res = await timed(http().get(path).set(AUTH));
        assert.equal(res.status, 503, `${path}: ${res.text}`);
        const problem = bodyOf<DomainProblemBody>(res);
        assert.equal(problem.error, 'store-unavailable', path);
        assert.match(problem.message, /^PostgreSQL is unavailable/, path);
      }
    });

    it('validate reads Redis only: it still answers', async () => {
      const res = await timed(http().post(BASE).set(AUTH).send({ action: 'validate' }));
      assert.equal(res.status, 200, res.text);
    });

    it('/health still answers (503, postgres down), and all is well once PostgreSQL is back', async () => {
      const health = await timed(http().get('/health'));
      assert.equal(health.status, 503);
      assert.deepEqual(health.body, { status: 'error', postgres: 'down', redis: 'up' });
      relay.restore();
      await untilHealthy();
      const res = await timed(http().get(`${BASE}?action=status`).set(AUTH));
      assert.equal(res.status, 200, res.text);
    });
  });

  describe('both down', () => {
    it('a migrate names both stores', async () => {
      relay.cut();
      await privateRedis.kill();
      try {
        const res = await timed(http().post(BASE).set(AUTH).send({ action: 'migrate' }));
        assert.equal(res.status, 503, res.text);
        assert.deepEqual(
          res.body,
          domainProblem(
            503,
            'store-unavailable',
            'PostgreSQL and Redis are unavailable: nothing was done; try again once they answer',
          ),
        );
        const health = await timed(http().get('/health'));
        assert.deepEqual(health.body, { status: 'error', postgres: 'down', redis: 'down' });
      } finally {
        relay.restore();
        await privateRedis.restart();
      }
      await untilHealthy();
    });
  });
});
