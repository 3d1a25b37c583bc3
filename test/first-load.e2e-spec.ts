import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

/** Every column of a tenant but the three the writing transaction sets. */
const ROW_COLUMNS = `id, subdomain, emoji, created_at, business_name, business_category,
  business_description, owner_name, email, phone, address, logo, brand_colors, feature_whatsapp,
  feature_home_visit, feature_analytics, feature_custom_templates, feature_multi_staff,
  subscription_plan, subscription_status, subscription_expires_at, profile_complete,
  source_format, source_id, source_key, source_hash`;

/** 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years ISO 8601 text carries. */
const FIRST_ISO_MS = -62135596800000;
const LAST_ISO_MS = 253402300799999;

/**
 * The straight COPY of a first load (no staging, no merge) stores exactly what the merge does,
 * column by column, and a re-run of the unchanged keyspace rewrites no row. The crash matrix,
 * the property specs and the accounting specs exercise the same paths on their own data: their
 * tables start empty, so their batches are COPYed straight unless a row is there.
 */
describe('the first load COPYed straight into the table', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  const key = (name: string) => `${stores.prefix}${name}`;
  const rows = async () =>
    (
      await stores.db.query<Record<string, unknown>>(
        `SELECT ${ROW_COLUMNS}, (migrated_at = updated_at) AS stamped FROM tenants ORDER BY subdomain`,
      )
    ).rows;

  /** Legacy and enhanced tenants with text COPY must escape and timestamps at the edges. */
  const seed = async () => {
    const r = stores.redis;
    for (let i = 0; i < 40; i++) await r.set(key(`legacy-${i}`), legacy('🍕', 1700000000000 + i));
    await r.set(key('enhanced'), JSON.stringify(ENHANCED));
    await r.set(
      key('escapes'),
      JSON.stringify({
        ...ENHANCED,
        businessName: 'Tab\there \\N back\\slash',
        address: 'line one\nline two\r\n',
        brandColors: { primary: '#ff0000', secondary: '#00ff00' },
      }),
    );
    await r.set(key('first-year'), legacy('⏳', FIRST_ISO_MS));
    await r.set(key('last-year'), legacy('⌛', LAST_ISO_MS));
    await r.set(key('before-epoch'), legacy('🕰', -1500));
    await r.set(
      key('expiry-edge'),
      JSON.stringify({
        ...ENHANCED,
        subscription: { plan: 'basic', status: 'active', expiresAt: LAST_ISO_MS },
      }),
    );
  };

  before(async () => {
    stores = await createTestStores('first_load');
    ctx = await createMigrationContext(stores, {
      batchSize: 1000,
      // The range's upper bound is exclusive.
      validation: { createdAtRange: { min: FIRST_ISO_MS, max: LAST_ISO_MS + 1 } },
    });
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await stores.db.query('DROP TABLE IF EXISTS first_load_kept');
  });

  it('stores what the merge stores, column by column, with migrated_at = updated_at', async () => {
    await seed();
    const straight = await ctx.migrations.migrate();
    assert.equal(straight.counts.created, 46);
    const copied = await rows();
    assert.equal(copied.length, 46);
    assert.ok(
      copied.every((r) => r.stamped === true),
      'migrated_at is the transaction time, as the merge writes it',
    );

    // The same keyspace again into a table that holds one of its tenants: that batch's
    // straight COPY meets the row, rolls back, and the batch is merged.
    await stores.db.query(
      `CREATE TABLE first_load_kept AS SELECT * FROM tenants WHERE subdomain = 'legacy-7'`,
    );
    await stores.clearDatabase();
    await stores.db.query('INSERT INTO tenants SELECT * FROM first_load_kept');
    const merged = await ctx.migrations.migrate();
    assert.equal(merged.counts.created, 45);
    assert.equal(merged.counts.unchanged, 1);
    const mergedRows = await rows();
    assert.deepEqual(mergedRows, copied, 'every column as the merge stores it');

    const edges = await stores.db.query<{ subdomain: string; ms: string }>(
      `SELECT subdomain, (extract(epoch FROM created_at) * 1000)::bigint::text AS ms FROM tenants
        WHERE subdomain IN ('first-year', 'last-year', 'before-epoch') ORDER BY subdomain`,
    );
    assert.deepEqual(
      edges.rows.map((r) => [r.subdomain, r.ms]),
      [
        ['before-epoch', '-1500'],
        ['first-year', String(FIRST_ISO_MS)],
        ['last-year', String(LAST_ISO_MS)],
      ],
    );
  });

  it('rewrites no row on a re-run of the unchanged keyspace', async () => {
    await seed();
    await ctx.migrations.migrate();
    const versions = async () =>
      (
        await stores.db.query<{ subdomain: string; xmin: string }>(
          'SELECT subdomain, xmin::text FROM tenants ORDER BY subdomain',
        )
      ).rows;
    const before = await versions();
    const again = await ctx.migrations.migrate();
    assert.equal(again.counts.unchanged, 46);
    assert.equal(again.counts.migrated, 0);
    assert.deepEqual(await versions(), before, 'no row version changed');
  });

  it('merges a changed tenant and COPYs a new one in the same re-run', async () => {
    await seed();
    await ctx.migrations.migrate();
    await stores.redis.set(key('legacy-3'), legacy('🌮'));
    await stores.redis.set(key('newcomer'), legacy('🆕'));
    const again = await ctx.migrations.migrate();
    assert.deepEqual(
      [again.counts.created, again.counts.updated, again.counts.unchanged],
      [1, 1, 45],
    );
    const changed = await stores.db.query<{ subdomain: string; emoji: string }>(
      `SELECT subdomain, emoji FROM tenants WHERE subdomain IN ('legacy-3', 'newcomer') ORDER BY 1`,
    );
    assert.deepEqual(
      changed.rows.map((r) => [r.subdomain, r.emoji]),
      [
        ['legacy-3', '🌮'],
        ['newcomer', '🆕'],
      ],
    );
  });
});
