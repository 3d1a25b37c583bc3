import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  ConcurrentChangeError,
  IntegrityService,
  InvalidOptionError,
  SyncService,
  TENANT_REDIS,
  TenantService,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { runCli } from './support/cli.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

/**
 * Sync follows a tenant's own Redis key (the one it was migrated from, whatever its case or
 * normalisation), follows a deletion or an expiry in Redis instead of undoing it, and keeps a
 * key's TTL when it writes the key.
 */
describe("sync: the tenant's own key, deletions and expiries in Redis, TTLs", () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let sync: SyncService;
  let integrity: IntegrityService;
  const key = (name: string) => `${stores.prefix}${name}`;
  const row = async (subdomain: string) =>
    (
      await stores.db.query<{ emoji: string; source_key: string | null; xmin: string }>(
        'SELECT emoji, source_key, xmin::text FROM tenants WHERE subdomain = $1',
        [subdomain],
      )
    ).rows[0];
  const exists = async (name: string): Promise<boolean> =>
    (await stores.redis.exists(key(name))) === 1;
  const queued = async (): Promise<string[]> =>
    (
      await stores.db.query<{ subdomain: string }>(
        'SELECT subdomain FROM redis_write_backs ORDER BY subdomain',
      )
    ).rows.map((r) => r.subdomain);
  const enqueue = (subdomain: string) =>
    stores.db.query(
      `INSERT INTO redis_write_backs (subdomain, key, last_error) VALUES ($1, $2, 'connect ECONNREFUSED')`,
      [subdomain, key(subdomain)],
    );

  before(async () => {
    stores = await createTestStores('sync_safety');
    ctx = await createMigrationContext(stores, { batchSize: 3 });
    sync = ctx.app.get(SyncService);
    integrity = ctx.app.get(IntegrityService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮', 1700000000123));
    await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
    await stores.redis.set(key('gelato'), legacy('🍨'));
    await ctx.migrations.migrate();
  });

  describe('a tenant whose key is not prefix + subdomain', () => {
    beforeEach(async () => {
      await stores.redis.set(key('MyShop'), legacy('🛍️'));
      await stores.redis.set(key('ｂａｋｅｒｙ'), legacy('🥐')); // fullwidth: NFKC makes it "bakery"
      await ctx.migrations.migrate();
    });

    it('syncs through the key it was migrated from: no new key, updated in place, and migrate finds no conflict', async () => {
      assert.equal((await row('myshop')).source_key, key('MyShop'));
      const agreed = await sync.sync('myshop');
      assert.deepEqual(
        [agreed.key, agreed.direction, agreed.change],
        [key('MyShop'), 'none', 'none'],
      );
      assert.equal(await exists('myshop'), false, 'no key is derived from the subdomain');

      await stores.db.query(
        `UPDATE tenants SET emoji = '🎁' WHERE subdomain IN ('myshop', 'bakery')`,
      );
      const written = await sync.sync('myshop');
      assert.deepEqual(
        [written.key, written.direction, written.change],
        [key('MyShop'), 'postgres-to-redis', 'write'],
      );
      assert.equal(await stores.redis.get(key('MyShop')), legacy('🎁'), 'updated in place');
      const bakery = await sync.sync('bakery');
      assert.deepEqual([bakery.key, bakery.direction], [key('ｂａｋｅｒｙ'), 'postgres-to-redis']);
      assert.equal(await stores.redis.get(key('ｂａｋｅｒｙ')), legacy('🎁'));
      assert.deepEqual([await exists('myshop'), await exists('bakery')], [false, false]);

      const run = await ctx.migrations.migrate();
      assert.equal(
        run.counts.rejectedByReason['subdomain-conflict'],
        undefined,
        JSON.stringify(run.counts),
      );
      assert.deepEqual([run.counts.rejected, run.counts.unchanged], [0, 6]);
      assert.equal((await integrity.check()).consistent, true);
    });

    it('takes a change made in Redis under the renamed key to PostgreSQL', async () => {
      await stores.redis.set(key('MyShop'), legacy('🧸'));
      const result = await sync.sync('myshop');
      assert.deepEqual(
        [result.key, result.direction, result.change],
        [key('MyShop'), 'redis-to-postgres', 'write'],
      );
      assert.deepEqual(
        [(await row('myshop')).emoji, (await row('myshop')).source_key],
        ['🧸', key('MyShop')],
      );
      assert.equal(await exists('myshop'), false);
    });

    it('syncs a renamed key only Redis has from the key the check found it under', async () => {
      await stores.redis.set(key('NewShop'), legacy('🆕'));
      const all = await sync.syncAllDrifted();
      assert.deepEqual([all.drifted, all.synced, all.refused], [1, 1, []]);
      assert.deepEqual(
        [all.results[0].key, all.results[0].direction],
        [key('NewShop'), 'redis-to-postgres'],
      );
      assert.deepEqual(
        [(await row('newshop')).emoji, (await row('newshop')).source_key],
        ['🆕', key('NewShop')],
      );
    });

    it('refuses, writing nothing, when another key claims the same subdomain', async () => {
      // What the old sync left behind: a second key for the renamed tenant.
      await stores.redis.set(key('myshop'), legacy('🛍️'));
      await stores.db.query(`UPDATE tenants SET emoji = '🎁' WHERE subdomain = 'myshop'`);
      await assert.rejects(sync.sync('myshop'), /claimed by two Redis keys/);
      assert.equal(await stores.redis.get(key('MyShop')), legacy('🛍️'));
    });

    it('deletes the row of a renamed key deleted in Redis, and creates no key', async () => {
      await stores.redis.del(key('MyShop'));
      const result = await sync.sync('myshop');
      assert.deepEqual(
        [result.key, result.direction, result.change],
        [key('MyShop'), 'redis-to-postgres', 'delete'],
      );
      assert.equal(await row('myshop'), undefined);
      assert.deepEqual([await exists('MyShop'), await exists('myshop')], [false, false]);
    });
  });

  describe('keys deleted or expired in Redis', () => {
    it('all-drifted deletes their rows instead of bringing the keys back, and audits each', async () => {
      await stores.redis.del(key('pizza'), key('tacos'));
      await enqueue('tacos'); // a stale write-back entry is settled with the row
      await stores.redis.pexpire(key('salon'), 30);
      await sleep(150);
      assert.equal(await exists('salon'), false, 'expired');

      const all = await sync.syncAllDrifted({ actor: 'test' });
      assert.deepEqual([all.drifted, all.synced, all.refused], [3, 3, []]);
      assert.deepEqual(all.byDirection, { 'redis-to-postgres': 3 });
      assert.deepEqual(all.byChange, { delete: 3 });
      assert.deepEqual(all.results.map((r) => [r.subdomain, r.change]).sort(), [
        ['pizza', 'delete'],
        ['salon', 'delete'],
        ['tacos', 'delete'],
      ]);
      for (const name of ['pizza', 'tacos', 'salon']) {
        assert.equal(await exists(name), false, `${name} stays gone from Redis`);
        assert.equal(await row(name), undefined, `${name} is deleted in PostgreSQL`);
      }
      assert.equal((await row('gelato')).emoji, '🍨', 'the others are left alone');
      assert.deepEqual(await queued(), []);

      const { rows } = await stores.db.query<{
        params: { subdomain: string };
        outcome: { direction: string; change: string; key: string };
      }>(
        `SELECT params, outcome FROM audit_log WHERE action = 'sync' AND status = 'succeeded' ORDER BY params->>'subdomain'`,
      );
      assert.deepEqual(
        rows.map((r) => [r.params.subdomain, r.outcome.direction, r.outcome.change, r.outcome.key]),
        ['pizza', 'salon', 'tacos'].map((name) => [name, 'redis-to-postgres', 'delete', key(name)]),
      );
      assert.equal((await integrity.check()).consistent, true);
      assert.equal((await ctx.migrations.migrate()).counts.scanned, 1, 'nothing to bring back');
    });

    it('refuses a tenant edited in PostgreSQL whose key was deleted, with the reason; prefer decides', async () => {
      await stores.redis.del(key('tacos'), key('pizza'));
      await stores.db.query(
        `UPDATE tenants SET emoji = '🌯' WHERE subdomain IN ('tacos', 'pizza')`,
      );
      await assert.rejects(
        sync.sync('tacos'),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          /both stores changed "tacos".*deleted or expired in Redis.*edited in PostgreSQL.*prefer/.test(
            e.message,
          ),
      );
      const all = await sync.syncAllDrifted();
      assert.deepEqual(
        [all.synced, all.refused.map((r) => r.subdomain).sort()],
        [0, ['pizza', 'tacos']],
      );
      assert.match(
        all.refused[0].reason,
        /deleted or expired in Redis, and it was edited in PostgreSQL/,
      );
      assert.deepEqual(
        [(await row('tacos')).emoji, await exists('tacos')],
        ['🌯', false],
        'a refusal changes nothing',
      );

      const kept = await sync.sync('tacos', { prefer: 'postgres' });
      assert.deepEqual([kept.direction, kept.change], ['postgres-to-redis', 'write']);
      assert.equal(
        await stores.redis.get(key('tacos')),
        legacy('🌯', 1700000000123),
        'written back',
      );

      const dropped = await sync.sync('pizza', { prefer: 'redis' });
      assert.deepEqual([dropped.direction, dropped.change], ['redis-to-postgres', 'delete']);
      assert.deepEqual([await row('pizza'), await exists('pizza')], [undefined, false]);
      assert.equal((await integrity.check()).consistent, true);
    });

    it('dry run reports the same decision and changes nothing', async () => {
      await stores.redis.del(key('pizza'));
      const before = (await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain'))
        .rows;
      const preview = await sync.sync('pizza', { dryRun: true });
      assert.deepEqual(
        [preview.direction, preview.change, preview.dryRun],
        ['redis-to-postgres', 'delete', true],
      );
      const all = await sync.syncAllDrifted({ dryRun: true });
      assert.deepEqual([all.dryRun, all.synced, all.byChange], [true, 1, { delete: 1 }]);
      assert.deepEqual(
        (await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain')).rows,
        before,
      );
      assert.equal(await exists('pizza'), false);

      const real = await sync.sync('pizza');
      assert.deepEqual(
        [real.direction, real.change, real.reason],
        [preview.direction, preview.change, preview.reason],
      );
    });

    it('deletes nothing when the row changes after the decision (compare-and-delete)', async () => {
      await stores.redis.del(key('pizza'), key('tacos'));
      const redis = ctx.app.get<Redis>(TENANT_REDIS);
      const original = redis.tenantMigrationKeySizes.bind(redis);
      let interfere: (() => Promise<unknown>) | null = null;
      // The reader's key-sizes script runs after the row was read and before the decision is applied.
      redis.tenantMigrationKeySizes = async (...args: Parameters<typeof original>) => {
        const reply = await original(...args);
        if (interfere) await interfere();
        return reply;
      };
      try {
        interfere = () =>
          stores.db.query(`UPDATE tenants SET emoji = '🍟' WHERE subdomain = 'pizza'`);
        await assert.rejects(
          sync.sync('pizza'),
          (e: unknown) => e instanceof ConcurrentChangeError && /run sync again/.test(e.message),
        );
        interfere = () => stores.redis.set(key('tacos'), legacy('🌮', 1700000000123));
        await assert.rejects(sync.sync('tacos'), ConcurrentChangeError);
      } finally {
        redis.tenantMigrationKeySizes = original;
      }
      assert.equal((await row('pizza')).emoji, '🍟', 'the PostgreSQL edit survives');
      assert.ok(await row('tacos'), 'a key written back meanwhile keeps its row');
    });

    it('leaves a key cleanup deleted on purpose deleted, and the row in place', async () => {
      const { rows } = await stores.db.query<{ source_hash: string }>(
        `SELECT source_hash FROM tenants WHERE subdomain = 'gelato'`,
      );
      await stores.db.query(
        `INSERT INTO backups (id, kind, path, scope, source, entry_count, total_bytes, checksum)
        VALUES ('00000000-0000-4000-8000-000000000001', 'redis', '/dev/null', $1, '{}', 0, 0, '')`,
        [stores.prefix],
      );
      await stores.db.query(
        `INSERT INTO redis_cleanups (key, subdomain, source_hash, backup_id) VALUES ($1, 'gelato', $2, '00000000-0000-4000-8000-000000000001')`,
        [key('gelato'), rows[0].source_hash],
      );
      await stores.redis.del(key('gelato'));
      const result = await sync.sync('gelato');
      assert.deepEqual([result.direction, result.change], ['none', 'none']);
      assert.deepEqual([await exists('gelato'), (await row('gelato')).emoji], [false, '🍨']);
    });

    it('the CLI says the tenant was deleted in PostgreSQL, and why', async () => {
      await stores.redis.del(key('pizza'));
      const env = { DATABASE_URL: stores.databaseUrl, TENANT_KEY_PREFIX: stores.prefix };
      const preview = await runCli(['sync', 'pizza', '--dry-run'], env);
      assert.equal(preview.code, 0, preview.stderr);
      assert.match(
        preview.stdout,
        /Would sync pizza \(.*pizza\): redis-to-postgres, would delete in PostgreSQL — the key was deleted or expired in Redis/,
      );
      const synced = await runCli(['sync', 'pizza'], env);
      assert.equal(synced.code, 0, synced.stderr);
      assert.match(
        synced.stdout,
        /Synced pizza \(.*pizza\): redis-to-postgres, deleted in PostgreSQL — the key was deleted or expired in Redis/,
      );
      assert.equal(await row('pizza'), undefined);
    });
  });

  describe('tenants that never had a Redis key, and the write-back queue', () => {
    it('writes a tenant created in PostgreSQL to Redis, as before', async () => {
      await ctx.app
        .get(TenantService)
        .create(
          { subdomain: 'fresh', emoji: '🌱', createdAt: 1700000000000 },
          { writeBack: false },
        );
      assert.equal((await row('fresh')).source_key, null);
      const result = await sync.sync('fresh');
      assert.deepEqual(
        [result.key, result.direction, result.change],
        [key('fresh'), 'postgres-to-redis', 'write'],
      );
      assert.equal(await stores.redis.get(key('fresh')), legacy('🌱'));
    });

    it('sync --pending still writes a queued tenant whose key is gone', async () => {
      // PostgreSQL took writes Redis missed; one of them a tenant the timestamps call unchanged.
      await stores.redis.del(key('tacos'), key('pizza'));
      await stores.db.query(`UPDATE tenants SET emoji = '🌯' WHERE subdomain = 'tacos'`);
      await enqueue('tacos');
      await enqueue('pizza');
      const replay = await sync.syncPending();
      assert.deepEqual(
        [replay.drifted, replay.synced, replay.refused, replay.byChange],
        [2, 2, [], { write: 2 }],
      );
      assert.equal(await stores.redis.get(key('tacos')), legacy('🌯', 1700000000123));
      assert.equal(await stores.redis.get(key('pizza')), legacy('🍕'));
      assert.deepEqual(await queued(), []);
    });
  });

  describe('TTLs', () => {
    it('a key with a TTL that sync overwrites keeps it', async () => {
      await stores.redis.pexpire(key('tacos'), 600_000);
      await stores.redis.pexpire(key('salon'), 600_000);
      await stores.db.query(`UPDATE tenants SET emoji = '🌯' WHERE subdomain = 'tacos'`);
      assert.equal((await sync.sync('tacos')).direction, 'postgres-to-redis');
      assert.equal(await stores.redis.get(key('tacos')), legacy('🌯', 1700000000123));
      const ttl = await stores.redis.pttl(key('tacos'));
      assert.ok(ttl > 590_000 && ttl <= 600_000, `TTL kept: ${ttl}`);

      // Both changed, PostgreSQL preferred: the same write, the same rule.
      await stores.redis.set(
        key('salon'),
        JSON.stringify({ ...ENHANCED, ownerName: 'E. M.' }),
        'KEEPTTL',
      );
      await stores.db.query(`UPDATE tenants SET owner_name = 'Élise' WHERE subdomain = 'salon'`);
      assert.equal(
        (await sync.sync('salon', { prefer: 'postgres' })).direction,
        'postgres-to-redis',
      );
      const salonTtl = await stores.redis.pttl(key('salon'));
      assert.ok(salonTtl > 590_000 && salonTtl <= 600_000, `TTL kept: ${salonTtl}`);
    });
  });
});
