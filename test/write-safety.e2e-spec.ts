import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import {
  ConcurrentChangeError,
  MigrationService,
  SyncService,
  TenantResolver,
  TenantService,
} from '#tenant-migration';
import {
  createContextOverRedis,
  createMigrationContext,
  createTestStores,
  TEST_REDIS_URL,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';
import { Gate, holdingRedis } from './support/interleave.js';

/** A legacy Redis value, parsed (a missing key throws, as an empty string is not JSON). */
const recordIn = (value: string | null): { emoji?: unknown } =>
  JSON.parse(value ?? '') as { emoji?: unknown };

/**
 * No writer overwrites or resurrects a PostgreSQL write (or delete) that committed after it
 * read Redis; and a legacy record never clears a profile field. Each race is played in one
 * fixed order: a writer reads Redis and is held (see support/interleave.ts), TenantService
 * writes and commits, then the first writer goes on.
 */
describe('writers never revert or resurrect a newer PostgreSQL write', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let tenants: TenantService;
  const key = (name: string) => `${stores.prefix}${name}`;
  const row = async (subdomain: string) =>
    (
      await stores.db.query<{
        emoji: string;
        business_name: string | null;
        owner_name: string | null;
      }>('SELECT emoji, business_name, owner_name FROM tenants WHERE subdomain = $1', [subdomain])
    ).rows[0];

  /** A second app on the same stores whose Redis answers for `subdomain`'s key wait at `gate`. */
  const heldApp = async (subdomain: string, gate: Gate): Promise<INestApplicationContext> => {
    const held = new Redis(TEST_REDIS_URL);
    const app = await createContextOverRedis(
      stores.databaseUrl,
      holdingRedis(held, 'mgetBuffer', (args) => args.flat().includes(key(subdomain)), gate),
      {
        keyPrefix: stores.prefix,
      },
    );
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      held.disconnect();
    };
    return app;
  };

  before(async () => {
    stores = await createTestStores('write_safety');
    ctx = await createMigrationContext(stores, { writeBack: { enabled: true } });
    tenants = ctx.app.get(TenantService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  it('a legacy record updates only emoji and createdAt: a profile written back through TenantService survives a change in Redis', async () => {
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await ctx.migrations.migrate();
    const written = await tenants.update('pizza', {
      businessName: 'Pizza Palace',
      ownerName: 'Mario Rossi',
    });
    assert.equal(written.writeBack, 'written');
    assert.deepEqual(
      JSON.parse((await stores.redis.get(key('pizza'))) ?? ''),
      { emoji: '🍕', createdAt: 1700000000000 },
      'Redis keeps the legacy format',
    );

    // The legacy application changes the emoji in Redis.
    await stores.redis.set(key('pizza'), legacy('🍔'));
    const result = await ctx.migrations.migrate();
    assert.equal(result.counts.updated, 1);
    assert.equal(result.counts.conflicts, 0);
    assert.deepEqual(await row('pizza'), {
      emoji: '🍔',
      business_name: 'Pizza Palace',
      owner_name: 'Mario Rossi',
    });
  });

  it('a migration batch that read Redis before a TenantService write does not revert it', async () => {
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await ctx.migrations.migrate();
    await stores.redis.set(key('pizza'), legacy('🍟'));
    const gate = new Gate();
    const app = await heldApp('pizza', gate);
    try {
      const running = app.get(MigrationService).migrate();
      await gate.reached; // the batch has read 🍟
      await tenants.update('pizza', { emoji: '🍔' }); // PostgreSQL and Redis now hold 🍔
      gate.open();
      const result = await running;
      assert.equal((await row('pizza')).emoji, '🍔', 'PostgreSQL was not reverted');
      assert.equal(result.counts.skippedByReason['concurrent-write'], 1);
      assert.equal(result.counts.conflicts, 1);
      assert.ok(result.balanced);
    } finally {
      await app.close();
    }
    assert.equal(recordIn(await stores.redis.get(key('pizza'))).emoji, '🍔');
    const next = await ctx.migrations.migrate();
    assert.equal(next.counts.unchanged, 1, 'the stores agree: the next run changes nothing');
    assert.equal((await row('pizza')).emoji, '🍔');
  });

  it('a migration batch that read a key before TenantService.delete does not bring the tenant back', async () => {
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮'));
    await ctx.migrations.migrate();
    await stores.redis.set(key('pizza'), legacy('🍟'));
    const gate = new Gate();
    const app = await heldApp('pizza', gate);
    try {
      const running = app.get(MigrationService).migrate();
      await gate.reached;
      await tenants.delete('pizza');
      gate.open();
      const result = await running;
      assert.equal(await row('pizza'), undefined, 'the deleted tenant stays deleted');
      assert.equal(result.counts.skippedByReason['concurrent-delete'], 1);
      assert.ok(result.balanced);
    } finally {
      await app.close();
    }
    assert.equal(await stores.redis.exists(key('pizza')), 0);
    // A tenant the legacy application creates again later migrates as usual.
    await stores.redis.set(key('pizza'), legacy('🍕'));
    const again = await ctx.migrations.migrate();
    assert.equal(again.counts.created, 1);
  });

  it("the resolver's on-the-fly migration does not bring back a tenant deleted after it read Redis", async () => {
    await stores.redis.set(key('pizza'), legacy('🍕'));
    const gate = new Gate();
    const app = await heldApp('pizza', gate);
    try {
      const resolving = app.get(TenantResolver).resolve('pizza');
      await gate.reached;
      await tenants.delete('pizza');
      gate.open();
      assert.equal(await resolving, null, 'a deleted tenant is not found');
      assert.equal(await row('pizza'), undefined);
    } finally {
      await app.close();
    }
  });

  it('sync Redis -> PostgreSQL refuses, writing nothing, when PostgreSQL changed the tenant after sync read Redis', async () => {
    await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
    await ctx.migrations.migrate();
    await stores.redis.set(
      key('salon'),
      JSON.stringify({ ...ENHANCED, businessName: 'Renamed in Redis' }),
    );
    const gate = new Gate();
    const app = await heldApp('salon', gate);
    try {
      const syncing = app.get(SyncService).sync('salon', { prefer: 'redis' });
      await gate.reached;
      await tenants.update(
        'salon',
        { businessName: 'Renamed in PostgreSQL' },
        { writeBack: false },
      );
      gate.open();
      await assert.rejects(syncing, ConcurrentChangeError);
    } finally {
      await app.close();
    }
    assert.equal(
      (await row('salon')).business_name,
      'Renamed in PostgreSQL',
      'the newer PostgreSQL write is kept',
    );
  });

  it("TenantService writes back to, and deletes, the tenant's own key (a renamed one), keeping its TTL", async () => {
    await stores.redis.set(key('MyShop'), legacy('🛍️'), 'PX', 600_000);
    await ctx.migrations.migrate();
    await tenants.update('myshop', { emoji: '🎁' });
    assert.equal(await stores.redis.exists(key('myshop')), 0, 'no second key for the tenant');
    assert.equal(recordIn(await stores.redis.get(key('MyShop'))).emoji, '🎁');
    assert.ok((await stores.redis.pttl(key('MyShop'))) > 500_000, 'the key keeps its TTL');
    const next = await ctx.migrations.migrate();
    assert.equal(next.counts.rejected, 0, "the key it came from is still the tenant's");
    assert.equal(next.counts.unchanged, 1);
    await tenants.delete('myshop');
    assert.equal(
      await stores.redis.exists(key('MyShop')),
      0,
      'the key it came from is deleted with it',
    );
    assert.equal((await ctx.migrations.migrate()).counts.created, 0, 'and nothing brings it back');
  });
});
