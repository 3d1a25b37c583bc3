import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  IntegrityService,
  InvalidSubdomainError,
  InvalidTenantError,
  PostgresSessionFactory,
  RedisWriteBackQueue,
  TenantTombstoneRepository,
  ReportService,
  RESOLVED_OPTIONS,
  StoreUnavailableError,
  SyncService,
  TenantExistsError,
  TenantNotFoundError,
  TenantRedisCopyRepository,
  TenantResolver,
  TenantService,
  TenantStoreRepository,
  TenantValidator,
  type ResolvedTenantMigrationOptions,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';
import { assertWithin } from './support/timing.js';

/** How long the service under test waits for Redis before it queues the write-back. */
const WRITE_BACK_TIMEOUT_MS = 300;

describe('TenantService: PostgreSQL writes with the Redis write-back, against the real stores', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let tenants: TenantService;
  /** A Redis that refuses every command at once (nothing listens on port 1). */
  let downRedis: Redis;
  /** A Redis that accepts the connection and never answers. */
  let silentServer: Server;
  let silentRedis: Redis;

  const key = (name: string) => `${stores.prefix}${name}`;
  /** The module's TenantService wired to another Redis client (and a short write-back timeout). */
  const serviceWith = (redis: Redis, writeBack = true): TenantService => {
    const options = ctx.app.get<ResolvedTenantMigrationOptions>(RESOLVED_OPTIONS);
    return new TenantService(
      { ...options, writeBack: { enabled: writeBack, timeoutMs: WRITE_BACK_TIMEOUT_MS } },
      new TenantRedisCopyRepository(redis),
      ctx.app.get(TenantValidator),
      ctx.app.get(PostgresSessionFactory),
      ctx.app.get(TenantResolver),
      ctx.app.get(RedisWriteBackQueue),
      ctx.app.get(TenantTombstoneRepository),
      ctx.app.get(TenantStoreRepository),
    );
  };
  const row = async (subdomain: string) =>
    (
      await stores.db.query<{
        emoji: string;
        email: string | null;
        source_format: string;
        source_hash: string | null;
        changed: boolean;
        xmin: string;
      }>(
        `SELECT emoji, email, source_format, source_hash, (migrated_at IS NULL OR updated_at > migrated_at) AS changed, xmin::text
           FROM tenants WHERE subdomain = $1`,
        [subdomain],
      )
    ).rows[0];
  const queued = async () =>
    (
      await stores.db.query<{ subdomain: string; attempts: number }>(
        'SELECT subdomain, attempts FROM redis_write_backs ORDER BY subdomain',
      )
    ).rows;

  before(async () => {
    stores = await createTestStores('tenant_service');
    ctx = await createMigrationContext(stores, { writeBack: { enabled: true } });
    tenants = ctx.app.get(TenantService);
    downRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    downRedis.on('error', () => undefined);
    silentServer = createServer(() => undefined);
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    silentRedis = new Redis({
      host: '127.0.0.1',
      port: (silentServer.address() as AddressInfo).port,
      maxRetriesPerRequest: 1,
    });
    silentRedis.on('error', () => undefined);
  });
  after(async () => {
    downRedis.disconnect();
    silentRedis.disconnect();
    silentServer.close();
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  describe('create', () => {
    it('writes the tenant to PostgreSQL and its legacy value to Redis, so the stores agree', async () => {
      const result = await tenants.create({
        subdomain: 'Pizza',
        emoji: '🍕',
        createdAt: 1700000000123,
        businessName: 'Pizza Place',
        email: 'Owner@Pizza.example',
      });
      assert.equal(result.writeBack, 'written');
      assert.equal(result.tenant.subdomain, 'pizza');
      assert.equal(result.tenant.email, 'Owner@pizza.example'); // the domain is case-insensitive, the local part is not
      assert.equal(await stores.redis.get(key('pizza')), legacy('🍕', 1700000000123));
      const stored = await row('pizza');
      assert.equal(stored.source_format, 'app');
      assert.equal(stored.changed, false);
      assert.deepEqual(await queued(), []);
      // The stores agree field by field, and a migration finds nothing to do.
      const report = await ctx.app.get(IntegrityService).check();
      assert.equal(report.consistent, true, JSON.stringify(report.drift));
      const run = await ctx.migrations.migrate();
      assert.equal(run.counts.unchanged, 1);
      assert.equal((await row('pizza')).xmin, stored.xmin);
    });

    it('defaults createdAt to now and leaves Redis alone when write-back is off for the call', async () => {
      const before = Date.now();
      const { tenant, writeBack } = await tenants.create(
        { subdomain: 'quiet', emoji: '🤫' },
        { writeBack: false },
      );
      assert.equal(writeBack, 'off');
      assert.ok(tenant.createdAt >= before && tenant.createdAt <= Date.now());
      assert.equal(await stores.redis.exists(key('quiet')), 0);
      assert.equal((await row('quiet')).changed, true);
    });

    it('refuses a subdomain taken in PostgreSQL or by a Redis record not migrated yet', async () => {
      await tenants.create({ subdomain: 'taken', emoji: '🍕' });
      await assert.rejects(tenants.create({ subdomain: 'taken', emoji: '🍔' }), TenantExistsError);
      await stores.redis.set(key('legacy-only'), legacy('🌮'));
      await assert.rejects(
        tenants.create({ subdomain: 'legacy-only', emoji: '🍔' }),
        TenantExistsError,
      );
      assert.equal(await stores.redis.get(key('legacy-only')), legacy('🌮'));
      assert.equal(await row('legacy-only'), undefined);
    });

    it('rejects invalid input with every reason, writing nothing', async () => {
      await assert.rejects(
        tenants.create({ subdomain: 'bad_name!', emoji: '🍕' }),
        InvalidSubdomainError,
      );
      await assert.rejects(
        tenants.create({ subdomain: 'www', emoji: '🍕' }),
        InvalidSubdomainError,
      );
      const error = await tenants
        .create({ subdomain: 'shop', emoji: 'not an emoji', email: 'nope' })
        .catch((e: unknown) => e);
      assert.ok(error instanceof InvalidTenantError);
      const codes = (error.context.reasons as { code: string; field?: string }[]).map(
        (r) => r.field,
      );
      assert.ok(
        codes.includes('emoji') && codes.includes('email'),
        JSON.stringify(error.context.reasons),
      );
      assert.equal(await row('shop'), undefined);
      assert.equal(await stores.redis.exists(key('shop')), 0);
    });
  });

  describe('update', () => {
    it('keeps a migrated legacy tenant legacy in Redis while PostgreSQL gets the richer record', async () => {
      await stores.redis.set(key('cafe'), legacy('☕', 1700000000000));
      await ctx.migrations.migrate();
      const { tenant, writeBack } = await tenants.update('cafe', {
        emoji: '🍵',
        businessName: 'Tea Room',
        phone: '+14155550123',
      });
      assert.equal(writeBack, 'written');
      assert.equal(tenant.businessName, 'Tea Room');
      assert.equal(tenant.phone, '+14155550123');
      assert.equal(tenant.createdAt, 1700000000000);
      assert.equal(await stores.redis.get(key('cafe')), legacy('🍵', 1700000000000));
      const stored = await row('cafe');
      assert.equal(stored.source_format, 'legacy');
      assert.equal(stored.changed, false);
      const run = await ctx.migrations.migrate();
      assert.equal(run.counts.unchanged, 1);
      assert.equal(run.counts.conflicts, 0);
    });

    it('migrates a tenant only Redis has, then updates it', async () => {
      await stores.redis.set(key('unmigrated'), legacy('🌮'));
      const { tenant } = await tenants.update('unmigrated', { ownerName: 'Ana' });
      assert.equal(tenant.ownerName, 'Ana');
      assert.equal(tenant.emoji, '🌮');
      assert.equal(await stores.redis.get(key('unmigrated')), legacy('🌮'));
    });

    it('keeps fields not named, clears one given as null, and validates the merged record', async () => {
      await tenants.create({
        subdomain: 'merge',
        emoji: '🍕',
        email: 'a@b.example',
        businessName: 'Merge',
        features: { whatsapp: true },
      });
      const { tenant } = await tenants.update('merge', {
        email: null,
        features: { analytics: true },
      });
      assert.equal(tenant.email, null);
      assert.equal(tenant.businessName, 'Merge');
      assert.equal(tenant.features.whatsapp, true);
      assert.equal(tenant.features.analytics, true);
      await assert.rejects(tenants.update('merge', { phone: 'call me' }), InvalidTenantError);
      assert.equal((await ctx.app.get(TenantService).find('merge'))?.phone, null);
    });

    it('is not found when neither store has the tenant', async () => {
      await assert.rejects(tenants.update('ghost', { emoji: '👻' }), TenantNotFoundError);
    });

    it('without write-back, the next migration keeps the PostgreSQL change (Redis did not change) and sync reports the drift', async () => {
      await stores.redis.set(key('keep'), legacy('🍕'));
      await ctx.migrations.migrate();
      await tenants.update('keep', { emoji: '🍔' }, { writeBack: false });
      assert.equal(await stores.redis.get(key('keep')), legacy('🍕'));
      const run = await ctx.migrations.migrate();
      assert.deepEqual([run.counts.unchanged, run.counts.migrated], [1, 0]);
      assert.equal((await row('keep')).emoji, '🍔');
      const synced = await ctx.app.get(SyncService).sync('keep', { dryRun: true });
      assert.equal(synced.direction, 'postgres-to-redis');
    });

    it('a Redis record changed after an update without write-back is a conflict the migration counts and PostgreSQL keeps', async () => {
      await stores.redis.set(key('both'), legacy('🍕'));
      await ctx.migrations.migrate();
      await tenants.update('both', { emoji: '🍔' }, { writeBack: false });
      await stores.redis.set(key('both'), legacy('🌮'));
      const run = await ctx.migrations.migrate();
      assert.equal(run.counts.conflicts, 1);
      assert.equal((await row('both')).emoji, '🍔');
    });

    it('serializes concurrent updates of one tenant, so Redis ends with what PostgreSQL has', async () => {
      const { tenant } = await tenants.create({ subdomain: 'race', emoji: '🍕' });
      const emojis = ['🍔', '🌮', '🍣', '🥗', '🍩', '🍪', '🧁', '🥐'];
      await Promise.all(emojis.map((emoji) => tenants.update('race', { emoji })));
      const final = (await row('race')).emoji;
      assert.ok(emojis.includes(final));
      assert.equal(await stores.redis.get(key('race')), legacy(final, tenant.createdAt));
      assert.equal((await ctx.app.get(IntegrityService).check()).consistent, true);
    });
  });

  describe('when Redis cannot be written', () => {
    it('commits the PostgreSQL write, queues the write-back, and sync --pending replays it', async () => {
      await tenants.create({ subdomain: 'offline', emoji: '🍕', createdAt: 1700000000000 });
      const result = await serviceWith(downRedis).update('offline', { emoji: '🌮' });
      assert.equal(result.writeBack, 'queued');
      assert.equal((await row('offline')).emoji, '🌮');
      assert.equal(await stores.redis.get(key('offline')), legacy('🍕'));
      assert.deepEqual(await queued(), [{ subdomain: 'offline', attempts: 1 }]);
      await serviceWith(downRedis).update('offline', { emoji: '🍔' });
      assert.deepEqual(await queued(), [{ subdomain: 'offline', attempts: 2 }]);
      assert.equal((await ctx.app.get(ReportService).stats()).pendingWriteBacks, 1);

      const dry = await ctx.app.get(SyncService).syncPending({ dryRun: true });
      assert.deepEqual([dry.drifted, dry.results[0].direction], [1, 'postgres-to-redis']);
      assert.equal((await queued()).length, 1);

      const replay = await ctx.app.get(SyncService).syncPending();
      assert.deepEqual([replay.drifted, replay.synced, replay.refused], [1, 1, []]);
      assert.equal(await stores.redis.get(key('offline')), legacy('🍔', 1700000000000));
      assert.deepEqual(await queued(), []);
      assert.equal((await row('offline')).changed, false);
    });

    it('does not hold the row lock longer than the write-back timeout when Redis hangs', async () => {
      await tenants.create({ subdomain: 'hang', emoji: '🍕' });
      const started = Date.now();
      const result = await serviceWith(silentRedis).update('hang', { emoji: '🍔' });
      assert.equal(result.writeBack, 'queued');
      assertWithin(Date.now() - started, WRITE_BACK_TIMEOUT_MS, 'an update over a silent Redis');
      assert.deepEqual(await queued(), [{ subdomain: 'hang', attempts: 1 }]);
      // The lock is free: a second writer gets through at once.
      assert.equal((await tenants.update('hang', { emoji: '🌮' })).writeBack, 'written');
    });

    it('creates nothing when Redis cannot say whether a legacy record holds the subdomain', async () => {
      await assert.rejects(
        serviceWith(downRedis).create({ subdomain: 'unsure', emoji: '🍕' }),
        StoreUnavailableError,
      );
      assert.equal(await row('unsure'), undefined);
    });

    it('a successful write-back or sync settles the queued entry', async () => {
      await tenants.create({ subdomain: 'later', emoji: '🍕' });
      await serviceWith(downRedis).update('later', { emoji: '🍪' });
      assert.equal((await queued()).length, 1);
      await tenants.update('later', { emoji: '🍩' });
      assert.deepEqual(await queued(), []);
      assert.equal(
        await stores.redis.get(key('later')),
        legacy('🍩', (await tenants.find('later'))?.createdAt),
      );
    });

    it('a pending entry of a tenant deleted since is settled with nothing to write', async () => {
      await tenants.create({ subdomain: 'gone', emoji: '🍕' });
      await serviceWith(downRedis).update('gone', { emoji: '🍪' });
      await tenants.delete('gone');
      assert.deepEqual(await queued(), []);
      await tenants.create({ subdomain: 'gone2', emoji: '🍕' });
      await serviceWith(downRedis).update('gone2', { emoji: '🍪' });
      await stores.db.query(`DELETE FROM tenants WHERE subdomain = 'gone2'`);
      const replay = await ctx.app.get(SyncService).syncPending();
      assert.equal(replay.refused.length, 0);
      assert.deepEqual(await queued(), []);
    });
  });

  describe('delete', () => {
    it('removes the row and the Redis key', async () => {
      await stores.redis.set(key('bye'), legacy('👋'));
      await ctx.migrations.migrate();
      assert.deepEqual(await tenants.delete('bye'), {
        subdomain: 'bye',
        deleted: true,
        redisKeyDeleted: true,
      });
      assert.equal(await row('bye'), undefined);
      assert.equal(await stores.redis.exists(key('bye')), 0);
      // Nothing brings it back.
      const run = await ctx.migrations.migrate();
      assert.equal(run.counts.scanned, 0);
      assert.equal(await ctx.app.get(TenantResolver).resolve('bye'), null);
    });

    it('changes nothing when the Redis key cannot be deleted (it would bring the tenant back)', async () => {
      await tenants.create({ subdomain: 'stay', emoji: '🍕' });
      await assert.rejects(serviceWith(downRedis).delete('stay'), StoreUnavailableError);
      assert.equal((await row('stay')).emoji, '🍕');
      assert.equal(
        await stores.redis.get(key('stay')),
        legacy('🍕', (await tenants.find('stay'))?.createdAt),
      );
    });

    it('is not found when neither store has the tenant', async () => {
      await assert.rejects(tenants.delete('nobody'), TenantNotFoundError);
    });
  });
});
