/**
 * `GET /api/admin/tenants/:subdomain` end to end, on the real app against the real stores: a
 * tenant in both stores that match, one whose row was edited (the field with both values,
 * changed in PostgreSQL), one only in Redis and one only in PostgreSQL, rejected values with
 * their reasons (not JSON, not UTF-8, too large, not a string) and their quarantine after a
 * migration, a renamed key, markup that comes back as the same characters, a sync's audit entry
 * and a pending write-back in the history; 400 for an impossible subdomain, 404 for an unknown
 * one, 401 without the token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { INestApplication } from '@nestjs/common';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { assertProblem } from './support/problem.js';
import { bodyOf } from './support/body.js';
import { operationsApi } from './support/operations.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

const TOKEN = 'tm-tenant-lookup-test-token-0123456789';
const NAMESPACE = testNamespace('tenant-lookup');
const PREFIX = `${NAMESPACE}subdomain:`;
const TENANTS = '/api/admin/tenants';
const key = (name: string) => `${PREFIX}${name}`;

/** Markup a browser would run if a page inserted it as HTML. */
const MARKUP = `<img src=x onerror="alert('x')"><script>alert(document.cookie)</script> & "Élise"`;
/** 300 bytes that are not UTF-8 (0xff never occurs in UTF-8). */
const BINARY = Buffer.from(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? 0xff : i % 256)));
/** 90,000 bytes of UTF-8: more than a migration reads (65,536), and cut mid-character. */
const LONG = '€'.repeat(30_000);

interface ReasonBody {
  code: string;
  message: string;
  field?: string;
}

/** The lookup's answer, as JSON. */
interface LookupBody {
  subdomain: string;
  key: string;
  state: string;
  redis: {
    type: string;
    ttlMs: number | null;
    bytes: number | null;
    text: string | null;
    hexPrefix: string | null;
    truncated: boolean;
    mapped: {
      id: string;
      subdomain: string;
      emoji: string;
      businessName: string | null;
      sourceHash: string;
    } | null;
    reasons: ReasonBody[];
    notes: ReasonBody[];
  } | null;
  postgres: {
    id: string;
    subdomain: string;
    emoji: string;
    businessName: string | null;
    sourceKey: string | null;
    sourceHash: string | null;
    migratedAt: string | null;
    updatedAt: string;
  } | null;
  fields: { field: string; redis: unknown; postgres: unknown }[];
  changedInRedis: boolean | null;
  changedInPostgres: boolean | null;
  cleanedUp: boolean;
  history: {
    exceptions: { runId: string; key: string; bucket: string; reasons: ReasonBody[]; at: string }[];
    audit: {
      id: string;
      at: string;
      actor: string | null;
      action: string;
      status: string;
      params: Record<string, unknown>;
      outcome: Record<string, unknown>;
    }[];
    writeBacks: { subdomain: string; key: string; attempts: number; lastError: string }[];
    migratedAt: string | null;
    updatedAt: string | null;
  };
}

describe('GET /api/admin/tenants/:subdomain', () => {
  let app: INestApplication<Server>;
  let redis: Redis;
  let db: pg.Client;
  let backupDir: string;
  const api = operationsApi(() => app.getHttpServer(), TOKEN);

  /** The lookup of `subdomain` (as typed into the path), asserted 200 JSON. */
  const lookup = async (subdomain: string): Promise<LookupBody> => {
    const res = await api
      .http()
      .get(`${TENANTS}/${encodeURIComponent(subdomain)}`)
      .set(api.auth);
    assert.equal(res.status, 200, `${subdomain}: ${res.text}`);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    return bodyOf<LookupBody>(res);
  };

  before(async () => {
    const databaseUrl = await createTestDatabase('tenant_lookup');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-tenant-lookup-'));
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: backupDir,
      OPERATION_HEARTBEAT_MS: '100',
    });
    await redis.set(key('alpha'), legacy('🍕'), 'PX', 3_600_000);
    await redis.set(key('bravo'), JSON.stringify(ENHANCED));
    await redis.set(key('charlie'), legacy('🥨'));
    await redis.set(key('broken'), '{not json');
    await redis.set(key('binary'), BINARY);
    await redis.set(key('long'), LONG);
    await redis.hset(key('hashed'), 'emoji', '🍕');
    await redis.set(key('MyShop'), legacy('🛍️'));
    await redis.set(key('markup'), JSON.stringify({ ...ENHANCED, businessName: MARKUP }));
  });

  after(async () => {
    await closeAdminApp(app);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    redis.disconnect();
    await db.end();
    await rm(backupDir, { recursive: true, force: true });
  });

  it('before any migration: valid keys are only in Redis, mapped; a rejected one has its reasons and no quarantine yet', async () => {
    const alpha = await lookup('alpha');
    assert.equal(alpha.state, 'only-in-redis');
    assert.equal(alpha.postgres, null);
    assert.equal(alpha.redis?.mapped?.subdomain, 'alpha');
    assert.deepEqual(alpha.fields, []);
    assert.equal(alpha.changedInRedis, null);
    assert.equal(alpha.changedInPostgres, null);
    const broken = await lookup('broken');
    assert.equal(broken.state, 'invalid-in-redis');
    assert.equal(broken.redis?.mapped, null);
    assert.equal(broken.redis?.text, '{not json');
    assert.deepEqual(
      broken.redis?.reasons.map((r) => r.code),
      ['invalid-json'],
    );
    assert.deepEqual(broken.history.exceptions, []);
  });

  describe('after a migration', () => {
    let runId = '';

    before(async () => {
      const done = await api.until((await api.start({ kind: 'migrate' })).id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      runId = done.runId ?? '';
      await db.query(
        `UPDATE tenants SET business_name = 'Barbier Élise' WHERE subdomain = 'bravo'`,
      );
      await db.query(`UPDATE tenants SET business_name = $1 WHERE subdomain = 'markup'`, [MARKUP]);
      await redis.del(key('charlie'));
      await redis.set(key('delta'), legacy('🌮'));
    });

    it('a tenant both stores hold alike: its key as it is, its row, no field apart, its TTL', async () => {
      const alpha = await lookup('alpha');
      assert.equal(alpha.subdomain, 'alpha');
      assert.equal(alpha.key, key('alpha'));
      assert.equal(alpha.state, 'matching');
      assert.ok(alpha.redis);
      assert.equal(alpha.redis.type, 'string');
      assert.ok(
        alpha.redis.ttlMs !== null && alpha.redis.ttlMs > 0 && alpha.redis.ttlMs <= 3_600_000,
        String(alpha.redis.ttlMs),
      );
      assert.equal(alpha.redis.bytes, Buffer.byteLength(legacy('🍕')));
      assert.equal(alpha.redis.text, legacy('🍕'));
      assert.equal(alpha.redis.hexPrefix, null);
      assert.equal(alpha.redis.truncated, false);
      assert.deepEqual(alpha.redis.reasons, []);
      assert.equal(alpha.redis.mapped?.emoji, '🍕');
      assert.ok(alpha.postgres);
      assert.equal(alpha.postgres.id, alpha.redis.mapped?.id);
      assert.equal(alpha.postgres.emoji, '🍕');
      assert.equal(alpha.postgres.sourceKey, key('alpha'));
      assert.equal(alpha.postgres.sourceHash, alpha.redis.mapped?.sourceHash);
      assert.deepEqual(alpha.fields, []);
      assert.equal(alpha.changedInRedis, false);
      assert.equal(alpha.changedInPostgres, false);
      assert.equal(alpha.cleanedUp, false);
      assert.ok(alpha.history.migratedAt);
      assert.equal(alpha.history.migratedAt, alpha.postgres.migratedAt);
      assert.equal(alpha.history.updatedAt, alpha.postgres.updatedAt);
      assert.deepEqual(alpha.history.exceptions, []);
      assert.deepEqual(alpha.history.writeBacks, []);
    });

    it('a row edited since its migration: the field with both values, changed in PostgreSQL', async () => {
      const bravo = await lookup('bravo');
      assert.equal(bravo.state, 'different');
      assert.deepEqual(bravo.fields, [
        { field: 'businessName', redis: ENHANCED.businessName, postgres: 'Barbier Élise' },
      ]);
      assert.equal(bravo.changedInPostgres, true);
      assert.equal(bravo.changedInRedis, false);
      assert.equal(bravo.redis?.mapped?.businessName, ENHANCED.businessName);
      assert.equal(bravo.postgres?.businessName, 'Barbier Élise');
    });

    it('a tenant only in Redis, and one only in PostgreSQL', async () => {
      const delta = await lookup('delta');
      assert.equal(delta.state, 'only-in-redis');
      assert.equal(delta.postgres, null);
      assert.equal(delta.redis?.mapped?.emoji, '🌮');
      assert.equal(delta.history.migratedAt, null);
      assert.equal(delta.history.updatedAt, null);
      const charlie = await lookup('charlie');
      assert.equal(charlie.state, 'only-in-postgres');
      assert.equal(charlie.key, key('charlie'));
      assert.equal(charlie.redis, null);
      assert.equal(charlie.postgres?.emoji, '🥨');
      assert.deepEqual(charlie.fields, []);
      assert.equal(charlie.changedInRedis, null);
      assert.equal(charlie.changedInPostgres, false);
      assert.equal(charlie.cleanedUp, false);
    });

    it('a rejected value: its reasons, and the run that quarantined it', async () => {
      const broken = await lookup('broken');
      assert.equal(broken.state, 'invalid-in-redis');
      assert.equal(broken.postgres, null);
      assert.deepEqual(
        broken.redis?.reasons.map((r) => r.code),
        ['invalid-json'],
      );
      assert.equal(broken.history.exceptions.length, 1);
      const [quarantined] = broken.history.exceptions;
      assert.equal(quarantined.runId, runId);
      assert.equal(quarantined.key, key('broken'));
      assert.equal(quarantined.bucket, 'rejected');
      assert.deepEqual(
        quarantined.reasons.map((r) => r.code),
        ['invalid-json'],
      );
      assert.ok(!Number.isNaN(Date.parse(quarantined.at)));
    });

    it('a value that is not UTF-8: its first 256 bytes as hex, no text', async () => {
      const binary = await lookup('binary');
      assert.equal(binary.state, 'invalid-in-redis');
      assert.ok(binary.redis);
      assert.equal(binary.redis.text, null);
      assert.equal(binary.redis.hexPrefix, BINARY.subarray(0, 256).toString('hex'));
      assert.equal(binary.redis.bytes, 300);
      assert.equal(binary.redis.truncated, false);
      assert.deepEqual(
        binary.redis.reasons.map((r) => r.code),
        ['invalid-utf8'],
      );
      assert.equal(binary.history.exceptions[0]?.runId, runId);
    });

    it('a value longer than is read: its first 64 KiB, whole characters only, and too large to map', async () => {
      const long = await lookup('long');
      assert.ok(long.redis);
      assert.equal(long.redis.bytes, Buffer.byteLength(LONG));
      assert.equal(long.redis.truncated, true);
      assert.equal(long.redis.text, '€'.repeat(Math.floor(65_536 / 3)));
      assert.equal(long.redis.mapped, null);
      assert.deepEqual(
        long.redis.reasons.map((r) => r.code),
        ['value-too-large'],
      );
    });

    it('a key of another type: no value read', async () => {
      const hashed = await lookup('hashed');
      assert.equal(hashed.state, 'invalid-in-redis');
      assert.deepEqual(hashed.redis, {
        type: 'hash',
        ttlMs: null,
        bytes: null,
        text: null,
        hexPrefix: null,
        truncated: false,
        mapped: null,
        reasons: [{ code: 'wrong-type', message: 'the key holds a hash, not a string' }],
        notes: [],
      });
    });

    it('a renamed key is found from its row, in any case the subdomain is typed', async () => {
      const shop = await lookup('myshop');
      assert.equal(shop.subdomain, 'myshop');
      assert.equal(shop.key, key('MyShop'));
      assert.equal(shop.state, 'matching');
      assert.deepEqual(
        shop.redis?.notes.map((n) => n.code),
        ['renamed-subdomain'],
      );
      assert.deepEqual(await lookup('MyShop'), shop);
    });

    it('markup comes back as the same characters, from both stores', async () => {
      const res = await api.http().get(`${TENANTS}/markup`).set(api.auth);
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const markup = bodyOf<LookupBody>(res);
      assert.equal(markup.redis?.text, JSON.stringify({ ...ENHANCED, businessName: MARKUP }));
      assert.equal(markup.postgres?.businessName, MARKUP);
      // The migration sanitizes the name it maps; the lookup shows that, and the row's raw name.
      assert.ok(markup.redis?.notes.some((n) => n.code === 'sanitized-text'));
      const field = markup.fields.find((f) => f.field === 'businessName');
      assert.equal(field?.postgres, MARKUP);
      assert.equal(field?.redis, markup.redis?.mapped?.businessName);
    });

    it("a sync's audit entry is in the history, and the tenant matches afterwards", async () => {
      const res = await api
        .http()
        .post('/api/admin/migration')
        .set(api.auth)
        .send({ action: 'sync', subdomain: 'Delta' });
      assert.equal(res.status, 200, res.text);
      const delta = await lookup('delta');
      assert.equal(delta.state, 'matching');
      assert.equal(delta.history.audit.length, 1);
      const [entry] = delta.history.audit;
      assert.equal(entry.action, 'sync');
      assert.equal(entry.status, 'succeeded');
      assert.equal(entry.actor, 'admin-api');
      assert.equal(entry.params.subdomain, 'Delta');
      assert.equal(entry.outcome.direction, 'redis-to-postgres');
      assert.ok(delta.history.migratedAt);
      // Another tenant's entries are not in it.
      assert.deepEqual((await lookup('alpha')).history.audit, []);
    });

    it('a pending write-back is in the history', async () => {
      await db.query(
        `INSERT INTO redis_write_backs (subdomain, key, last_error) VALUES ('alpha', $1, 'Redis did not answer')`,
        [key('alpha')],
      );
      try {
        const alpha = await lookup('alpha');
        assert.equal(alpha.history.writeBacks.length, 1);
        const [pending] = alpha.history.writeBacks;
        assert.equal(pending.subdomain, 'alpha');
        assert.equal(pending.key, key('alpha'));
        assert.equal(pending.lastError, 'Redis did not answer');
        assert.equal(typeof pending.attempts, 'number');
      } finally {
        await db.query(`DELETE FROM redis_write_backs WHERE subdomain = 'alpha'`);
      }
    });

    it('400 for a subdomain no tenant can have, or a query; 404 for one in neither store', async () => {
      for (const impossible of ['not valid!', 'xn--pizza', 'a'.repeat(64), '-pizza', 'www']) {
        const res = await api
          .http()
          .get(`${TENANTS}/${encodeURIComponent(impossible)}`)
          .set(api.auth);
        assertProblem(res, 400, 'invalid-subdomain', /is not a valid subdomain/, impossible);
      }
      const query = await api.http().get(`${TENANTS}/alpha?x=1`).set(api.auth);
      assertProblem(query, 400, 'bad-request', /property x should not exist/);
      const unknown = await api.http().get(`${TENANTS}/nobody`).set(api.auth);
      assertProblem(unknown, 404, 'tenant-not-found', /"nobody" exists in neither/);
    });

    it('401 without the token, or with another', async () => {
      assertProblem(await api.http().get(`${TENANTS}/alpha`), 401, 'unauthorized');
      assertProblem(
        await api.http().get(`${TENANTS}/alpha`).set({ Authorization: 'Bearer not-the-token' }),
        401,
        'unauthorized',
      );
    });
  });
});
