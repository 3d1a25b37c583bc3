import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  InvalidOptionError,
  InvalidSubdomainError,
  InvalidTenantRecordError,
  RedisKeyspaceReader,
  RESOLVED_OPTIONS,
  TenantResolver,
  TenantStoreRepository,
  TenantValidator,
  type EnhancedTenant,
  type ResolvedTenantMigrationOptions,
  type ResolverMode,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';

describe('fallback resolver against the real Redis and PostgreSQL', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  /** The module's resolver (default mode), or one wired from the same providers with other options. */
  const resolver = (
    mode: ResolverMode = 'postgres-first',
    cacheTtlMs = 0,
    cacheMaxEntries = 10_000,
  ): TenantResolver => {
    if (mode === 'postgres-first' && cacheTtlMs === 0) return ctx.app.get(TenantResolver);
    const options = ctx.app.get<ResolvedTenantMigrationOptions>(RESOLVED_OPTIONS);
    return new TenantResolver(
      { ...options, resolver: { mode, cacheTtlMs, cacheMaxEntries } },
      ctx.app.get(RedisKeyspaceReader),
      ctx.app.get(TenantValidator),
      ctx.app.get(TenantStoreRepository),
    );
  };
  const key = (name: string) => `${stores.prefix}${name}`;
  const rows = async (subdomain: string) =>
    (
      await stores.db.query<{ id: string; emoji: string; source_key: string }>(
        'SELECT id, emoji, source_key FROM tenants WHERE subdomain = $1',
        [subdomain],
      )
    ).rows;

  before(async () => {
    stores = await createTestStores('resolver');
    ctx = await createMigrationContext(stores);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  it('answers from PostgreSQL when the tenant is migrated (the spec shape)', async () => {
    await stores.redis.set(key('pizza'), legacy('🍕', 1700000000123));
    await ctx.migrations.migrate();
    await stores.redis.del(key('pizza'));
    const tenant = await resolver().getSubdomainDataWithFallback('pizza');
    assert.ok(tenant);
    assert.deepEqual(
      [
        tenant.subdomain,
        tenant.emoji,
        tenant.createdAt,
        tenant.email,
        tenant.businessCategory,
        tenant.profileComplete,
        tenant.sourceFormat,
      ],
      ['pizza', '🍕', 1700000000123, null, 'Other', false, 'legacy'],
    );
  });

  it('falls back to Redis and migrates on the fly, with the bulk engine mapping and the same id', async () => {
    await stores.redis.set(key('tacos'), legacy('🌮'));
    const tenant = await resolver().resolve('Tacos');
    assert.equal(tenant?.emoji, '🌮');
    const [row] = await rows('tacos');
    assert.equal(row.id, tenant?.id);
    assert.equal(row.source_key, key('tacos'));
    const bulk = await ctx.migrations.migrate();
    assert.equal(
      bulk.counts.unchanged,
      1,
      'the bulk run sees the on-the-fly row as already migrated',
    );
  });

  it('100 concurrent calls for a missing tenant give one row and 100 identical answers', async () => {
    await stores.redis.set(key('gelato'), legacy('🍨'));
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => resolver().resolve('gelato')),
    );
    assert.equal((await rows('gelato')).length, 1);
    assert.ok(answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0])));
    // and across "processes": two resolvers with their own single-flight maps
    await stores.clearDatabase();
    const [a, b] = await Promise.all([
      resolver().resolve('gelato'),
      resolver('postgres-first', 1).resolve('gelato'),
    ]);
    assert.deepEqual(a, b);
    assert.equal((await rows('gelato')).length, 1);
  });

  it('concurrent "processes" and a bulk migration inserting the same new tenants never collide', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `race${i}`);
    for (const name of names) await stores.redis.set(key(name), legacy('🍕'));
    // Four resolvers with their own single-flight maps (four processes), and the bulk engine, at once.
    const resolvers = Array.from({ length: 4 }, (_, i) => resolver('postgres-first', i + 1));
    const [answers, bulk] = await Promise.all([
      Promise.all(names.flatMap((name) => resolvers.map((r) => r.resolve(name)))),
      ctx.migrations.migrate({ batchSize: 5 }),
    ]);
    assert.ok(answers.every((a) => a !== null));
    assert.equal(bulk.balanced, true);
    assert.equal(bulk.counts.scanned, names.length);
    const { rows: counted } = await stores.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tenants WHERE subdomain LIKE 'race%'`,
    );
    assert.equal(counted[0].n, names.length);
  });

  it('reports an invalid Redis record with its reasons and writes nothing', async () => {
    await stores.redis.set(
      key('broken'),
      JSON.stringify({ emoji: 'pizza', createdAt: 'yesterday' }),
    );
    await assert.rejects(resolver().resolve('broken'), (e: unknown) => {
      assert.ok(e instanceof InvalidTenantRecordError);
      assert.deepEqual(
        ((e.context.reasons as { field?: string }[]) ?? []).map((r) => r.field).sort(),
        ['createdAt', 'emoji'],
      );
      return true;
    });
    await stores.redis.hset(key('hashy'), 'emoji', '🍕');
    await assert.rejects(resolver().resolve('hashy'), InvalidTenantRecordError);
    assert.equal((await rows('broken')).length, 0);
  });

  it('answers null for a missing tenant and refuses invalid input without a lookup', async () => {
    assert.equal(await resolver().resolve('nowhere'), null);
    for (const bad of ['', 'bad_name!', 'www', "x'; drop table tenants;--", 'a'.repeat(64)]) {
      await assert.rejects(resolver().resolve(bad), InvalidSubdomainError, bad);
    }
  });

  it('honours each read mode', async () => {
    await stores.redis.set(key('bagel'), legacy('🥯'));
    assert.equal(
      await resolver('postgres-only').resolve('bagel'),
      null,
      'after cutover Redis is not read',
    );
    const fromRedis = await resolver('redis-first').resolve('bagel');
    assert.equal(fromRedis?.emoji, '🥯');
    assert.equal((await rows('bagel')).length, 0, 'redis-first reads Redis without writing');
    await resolver().resolve('bagel');
    await stores.db.query(`UPDATE tenants SET emoji = '🥨' WHERE subdomain = 'bagel'`);
    assert.equal(
      (await resolver('redis-first').resolve('bagel'))?.emoji,
      '🥯',
      'redis-first: Redis wins while it has the tenant',
    );
    assert.equal((await resolver('postgres-only').resolve('bagel'))?.emoji, '🥨');
  });

  it('propagates a store outage instead of answering "not found"', async () => {
    const r = resolver();
    // The connection the resolver's reads go through (its store repository's).
    const dataSource = ctx.app.get<DataSource>(getDataSourceToken());
    const query = dataSource.query.bind(dataSource);
    dataSource.query = () => Promise.reject(new Error('connection terminated'));
    try {
      await assert.rejects(r.resolve('pizza'), /connection terminated/);
    } finally {
      dataSource.query = query;
    }
  });

  it('keeps answers for the TTL when asked to, and drops them on invalidate', async () => {
    const r = resolver('postgres-first', 60_000);
    await stores.redis.set(key('pizza'), legacy('🍕'));
    const first = (await r.resolve('pizza')) as EnhancedTenant;
    await stores.db.query(`UPDATE tenants SET emoji = '🍔' WHERE subdomain = 'pizza'`);
    assert.equal((await r.resolve('pizza'))?.emoji, first.emoji, 'cached');
    r.invalidate('PIZZA');
    assert.equal((await r.resolve('pizza'))?.emoji, '🍔');
    assert.equal((await resolver().resolve('pizza'))?.emoji, '🍔', 'off by default');
  });

  it('never caches a miss: a tenant created after a miss is found at once', async () => {
    const r = resolver('postgres-first', 60_000);
    assert.equal(await r.resolve('newcomer'), null);
    await stores.redis.set(key('newcomer'), legacy('🆕'));
    assert.equal((await r.resolve('newcomer'))?.emoji, '🆕');
  });

  it('keeps at most cacheMaxEntries tenants, the least recently used evicted first', async () => {
    const r = resolver('postgres-first', 60_000, 100);
    const names = Array.from({ length: 150 }, (_, i) => `lru-${i}`);
    const pipeline = stores.redis.pipeline();
    for (const name of names) pipeline.set(key(name), legacy('🍕'));
    await pipeline.exec();
    for (const name of names) await r.resolve(name);
    await stores.db.query(`UPDATE tenants SET emoji = '🍔' WHERE subdomain LIKE 'lru-%'`);
    assert.equal(
      (await r.resolve('lru-0'))?.emoji,
      '🍔',
      'the oldest entry was evicted: read afresh',
    );
    assert.equal((await r.resolve('lru-149'))?.emoji, '🍕', 'the newest is still cached');
    assert.throws(() => resolver('postgres-first', 60_000, 0), InvalidOptionError);
  });
});
