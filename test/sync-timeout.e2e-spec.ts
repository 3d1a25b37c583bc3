/**
 * The server-side limit of the synchronous `?action=` forms that can stop midway: past
 * ADMIN_SYNC_TIMEOUT_MS a check, validate, dry run or Redis backup stops at its next batch and
 * answers 503 `sync-timeout` naming the operation that runs it without a limit; nothing it did
 * stays (no run, no backup file or record), and the app keeps serving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import {
  createTestDatabase,
  deleteByPattern,
  BULK_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { assertProblem } from './support/problem.js';
import { boundOf } from './support/timing.js';
import { seedTenants } from './support/operations.js';

const NAMESPACE = testNamespace('sync-timeout');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-sync-timeout-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const BASE = '/api/admin/migration';
const LIMIT_MS = 1000;
/** Batches of 5 over this many keys take several seconds, well past the limit. */
const TENANTS = 40_000;

describe('the limit of the synchronous forms', () => {
  let app: INestApplication<Server>;
  let redis: Redis;
  let db: pg.Client;
  let dir: string;
  const http = () => request(app.getHttpServer());

  before(async () => {
    redis = new Redis(BULK_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await seedTenants(redis, PREFIX, TENANTS);
    const databaseUrl = await createTestDatabase('sync_timeout');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    dir = await mkdtemp(join(tmpdir(), 'tm-sync-timeout-'));
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: BULK_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: dir,
      MIGRATION_BATCH_SIZE: '5',
      ADMIN_SYNC_TIMEOUT_MS: String(LIMIT_MS),
    });
  });

  after(async () => {
    await closeAdminApp(app);
    await db?.end();
    if (redis) {
      await deleteByPattern(redis, `${NAMESPACE}*`);
      redis.disconnect();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [label, send, kind] of [
    ['GET ?action=check', () => http().get(`${BASE}?action=check`).set(AUTH), 'check'],
    ['POST validate', () => http().post(BASE).set(AUTH).send({ action: 'validate' }), 'validate'],
    ['POST dry-run', () => http().post(BASE).set(AUTH).send({ action: 'dry-run' }), 'dry-run'],
    ['POST backup', () => http().post(BASE).set(AUTH).send({ action: 'backup' }), 'backup'],
  ] as const) {
    it(`${label} past the limit is a 503 sync-timeout naming the operation, and leaves nothing`, async () => {
      const started = Date.now();
      const res = await send();
      const elapsed = Date.now() - started;
      assertProblem(res, 503, 'sync-timeout', new RegExp(`"kind":"${kind}"`));
      assert.ok(elapsed < boundOf(LIMIT_MS) + 2000, `answered after ${elapsed} ms`);
      const { rows } = await db.query<{ runs: number; backups: number; tenants: number }>(
        `SELECT (SELECT count(*) FROM migration_runs)::int AS runs,
                (SELECT count(*) FROM backups)::int AS backups,
                (SELECT count(*) FROM tenants)::int AS tenants`,
      );
      assert.deepEqual(rows[0], { runs: 0, backups: 0, tenants: 0 });
      assert.deepEqual(await readdir(dir), [], 'no backup file, whole or partial');
      assert.equal((await http().get('/health')).status, 200);
    });
  }
});
