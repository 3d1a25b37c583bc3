import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  isBalanced,
  MigrationLockedError,
  RedisKeyspaceReader,
  StoreUnavailableError,
  type MigrationResult,
  type OutcomeReason,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  deleteByPattern,
  snapshotRedis,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';

const LEGACY = { emoji: '🍕', createdAt: 1700000000123 };
const ENHANCED = {
  id: 'ten_42',
  subdomain: 'salon',
  emoji: '💈',
  createdAt: 1712345678901,
  businessName: 'Salon Élise',
  businessCategory: 'Beauty & Wellness',
  businessDescription: 'Cuts and colour',
  ownerName: 'Élise Martin',
  email: 'elise@example.com',
  phone: '+33612345678',
  address: '1 rue de la Paix, Paris',
  logo: 'https://cdn.example.com/logo.png',
  brandColors: { primary: '#112233', secondary: '#445566', accent: '#778899' },
  features: {
    whatsapp: true,
    homeVisit: false,
    analytics: true,
    customTemplates: false,
    multiStaff: true,
  },
  subscription: { plan: 'premium', status: 'active', expiresAt: 1799999999000 },
};

interface TenantRow {
  id: string;
  subdomain: string;
  emoji: string;
  created_at: Date;
  business_name: string | null;
  business_category: string;
  business_description: string | null;
  owner_name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  logo: string | null;
  brand_colors: Record<string, string> | null;
  feature_whatsapp: boolean;
  feature_home_visit: boolean;
  feature_analytics: boolean;
  feature_custom_templates: boolean;
  feature_multi_staff: boolean;
  subscription_plan: string;
  subscription_status: string;
  subscription_expires_at: Date | null;
  profile_complete: boolean;
  source_format: string;
  source_id: string | null;
  source_key: string | null;
  source_hash: string | null;
  migrated_at: Date | null;
  updated_at: Date;
  xmin: string;
}

describe('migration engine against real PostgreSQL and Redis', () => {
  let stores: TestStores;
  let ctx: MigrationContext;

  const key = (name: string) => `${stores.prefix}${name}`;
  const tenant = async (subdomain: string): Promise<TenantRow | undefined> =>
    (
      await stores.db.query<TenantRow>('SELECT *, xmin::text FROM tenants WHERE subdomain = $1', [
        subdomain,
      ])
    ).rows[0];
  const count = async (table: string): Promise<number> =>
    Number((await stores.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const reasonsOf = async (k: string): Promise<OutcomeReason[]> =>
    (
      await stores.db.query<{ reasons: OutcomeReason[] }>(
        'SELECT reasons FROM migration_exceptions WHERE key = $1',
        [k],
      )
    ).rows[0]?.reasons ?? [];

  /** One of every kind of key a real keyspace holds, good and bad. */
  const seedMixedKeyspace = async (): Promise<void> => {
    const r = stores.redis;
    await r.set(key('pizza'), JSON.stringify(LEGACY));
    await r.set(key('salon'), JSON.stringify(ENHANCED));
    await r.set(key('coerced'), JSON.stringify({ emoji: '🌮', createdAt: '1700000000000' }));
    await r.set(key('MyShop'), JSON.stringify({ emoji: '🎨', createdAt: 1700000000000 }));
    await r.set(key('taken'), JSON.stringify({ emoji: '🐶', createdAt: 1700000000000 }));
    await r.set(key('Taken'), JSON.stringify({ emoji: '🐱', createdAt: 1700000000000 }));
    await r.set(key('truncated'), '{"emoji": "🚀", "createdAt": ');
    await r.set(key('notjson'), 'not json at all');
    await r.set(key('array'), '[1,2,3]');
    await r.set(key('badtypes'), JSON.stringify({ emoji: 42, createdAt: 'yesterday' }));
    await r.set(key('noemoji'), JSON.stringify({ createdAt: 1700000000000 }));
    await r.set(key('wordemoji'), JSON.stringify({ emoji: 'pizza', createdAt: 1700000000000 }));
    await r.set(key('www'), JSON.stringify(LEGACY));
    await r.set(key('bad_name!'), JSON.stringify(LEGACY));
    await r.set(key('binary'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]));
    await r.set(
      key('huge'),
      JSON.stringify({
        emoji: '🍕',
        createdAt: 1700000000000,
        businessDescription: 'x'.repeat(5000),
      }),
    );
    await r.hset(key('hash'), 'emoji', '🍕');
    await r.rpush(key('list'), 'a', 'b');
    await r.set(key('ttl'), JSON.stringify({ emoji: '⚽', createdAt: 1700000000000 }), 'EX', 3600);
    await r.set('unrelated:pizza', JSON.stringify(LEGACY));
  };
  const SEEDED = 19;

  before(async () => {
    stores = await createTestStores('migration_engine');
    ctx = await createMigrationContext(stores, { maxValueBytes: 4096, batchSize: 5 });
  });
  after(async () => {
    await stores.redis.del('unrelated:pizza');
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  it('migrates legacy and enhanced tenants with every field exact', async () => {
    await seedMixedKeyspace();
    const result = await ctx.migrations.migrate();

    const legacy = await tenant('pizza');
    assert.ok(legacy, 'legacy tenant migrated');
    assert.equal(legacy.emoji, '🍕');
    assert.equal(legacy.created_at.getTime(), LEGACY.createdAt);
    assert.equal(legacy.business_name, null);
    assert.equal(legacy.email, null, 'no invented email');
    assert.equal(legacy.phone, null, 'no invented phone');
    assert.equal(legacy.owner_name, null);
    assert.equal(legacy.business_category, 'Other');
    assert.equal(legacy.subscription_plan, 'basic');
    assert.equal(legacy.subscription_status, 'active');
    assert.equal(legacy.subscription_expires_at, null, 'no expiry computed from the clock');
    assert.equal(legacy.profile_complete, false);
    assert.equal(legacy.source_format, 'legacy');
    assert.equal(legacy.source_key, key('pizza'));
    assert.deepEqual(
      [
        legacy.feature_whatsapp,
        legacy.feature_home_visit,
        legacy.feature_analytics,
        legacy.feature_custom_templates,
        legacy.feature_multi_staff,
      ],
      [false, false, false, false, false],
    );

    const enhanced = await tenant('salon');
    assert.ok(enhanced, 'enhanced tenant migrated');
    assert.equal(enhanced.emoji, ENHANCED.emoji);
    assert.equal(enhanced.created_at.getTime(), ENHANCED.createdAt);
    assert.equal(enhanced.business_name, ENHANCED.businessName);
    assert.equal(enhanced.business_category, 'Beauty & Wellness');
    assert.equal(enhanced.business_description, ENHANCED.businessDescription);
    assert.equal(enhanced.owner_name, ENHANCED.ownerName);
    assert.equal(enhanced.email, ENHANCED.email);
    assert.equal(enhanced.phone, ENHANCED.phone);
    assert.equal(enhanced.address, ENHANCED.address);
    assert.equal(enhanced.logo, ENHANCED.logo);
    assert.deepEqual(enhanced.brand_colors, ENHANCED.brandColors);
    assert.deepEqual(
      [
        enhanced.feature_whatsapp,
        enhanced.feature_home_visit,
        enhanced.feature_analytics,
        enhanced.feature_custom_templates,
        enhanced.feature_multi_staff,
      ],
      [true, false, true, false, true],
    );
    assert.equal(enhanced.subscription_plan, 'premium');
    assert.equal(enhanced.subscription_status, 'active');
    assert.equal(enhanced.subscription_expires_at?.getTime(), ENHANCED.subscription.expiresAt);
    assert.equal(enhanced.profile_complete, true);
    assert.equal(enhanced.source_format, 'enhanced');
    assert.equal(enhanced.source_id, 'ten_42');

    const coerced = await tenant('coerced');
    assert.equal(coerced?.created_at.getTime(), 1700000000000, 'numeric-string createdAt coerced');
    assert.equal(result.counts.normalizedByNote['coerced-created-at'], 1);
    assert.equal(result.counts.normalizedByNote['renamed-subdomain'], 1, 'MyShop');
    assert.equal(
      result.counts.normalizedByNote['mapped-category'],
      undefined,
      'exact category names are not notes',
    );
    assert.ok(await tenant('myshop'), 'MyShop migrated under its normalised name, which was free');
    assert.equal((await tenant('myshop'))?.source_key, key('MyShop'));
    assert.equal((await tenant('taken'))?.emoji, '🐶', 'Taken never overwrites taken');
    assert.ok(await tenant('ttl'), 'keys with a TTL migrate');
    assert.equal(await tenant('www'), undefined);
    assert.equal(
      await count("tenants WHERE subdomain LIKE '%pizza%' AND source_key NOT LIKE 'tm-test:%'"),
      0,
      'other prefixes untouched',
    );

    assert.equal(result.counts.migrated, 6);
    assert.equal(result.counts.created, 6);
    assert.equal(await count('tenants'), 6);
  });

  it('rejects every kind of bad record with a reason, and the counts add up', async () => {
    await seedMixedKeyspace();
    const result = await ctx.migrations.migrate();
    const c = result.counts;

    assert.equal(c.scanned, SEEDED);
    assert.equal(c.scanned, c.migrated + c.unchanged + c.skipped + c.rejected);
    assert.ok(isBalanced(c));
    assert.equal(result.balanced, true);
    assert.equal(c.rejected, 13);
    assert.equal(await count("migration_exceptions WHERE bucket = 'rejected'"), 13);

    const codes = async (name: string) => (await reasonsOf(key(name))).map((r) => r.code);
    const fields = async (name: string) => (await reasonsOf(key(name))).map((r) => r.field);
    assert.deepEqual(await codes('truncated'), ['invalid-json']);
    assert.deepEqual(await codes('notjson'), ['invalid-json']);
    assert.deepEqual(await codes('array'), ['not-an-object']);
    assert.deepEqual(await codes('binary'), ['invalid-utf8']);
    assert.deepEqual(await codes('huge'), ['value-too-large']);
    assert.deepEqual(await codes('hash'), ['wrong-type']);
    assert.deepEqual(await codes('list'), ['wrong-type']);
    assert.deepEqual(await codes('Taken'), ['subdomain-conflict']);
    assert.ok(
      (await fields('badtypes')).includes('emoji') &&
        (await fields('badtypes')).includes('createdAt'),
      'all failing fields reported',
    );
    assert.ok((await fields('noemoji')).includes('emoji'));
    assert.ok((await fields('wordemoji')).includes('emoji'));
    assert.ok((await fields('www')).includes('subdomain'), 'reserved name rejected');
    assert.ok((await fields('bad_name!')).includes('subdomain'), 'invalid DNS label rejected');

    const stored = await stores.db.query<{
      value_prefix: Buffer;
      value_sha256: string;
      value_size: number;
    }>('SELECT value_prefix, value_sha256, value_size FROM migration_exceptions WHERE key = $1', [
      key('binary'),
    ]);
    assert.deepEqual(
      stored.rows[0].value_prefix,
      Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
      'raw bytes kept for the operator',
    );
    assert.equal(stored.rows[0].value_size, 4);
    assert.match(stored.rows[0].value_sha256, /^[0-9a-f]{64}$/);

    const run = await stores.db.query<{ status: string; counts: MigrationResult['counts'] }>(
      'SELECT status, counts FROM migration_runs WHERE id = $1',
      [result.runId],
    );
    assert.equal(run.rows[0].status, 'completed');
    assert.deepEqual(run.rows[0].counts, c, 'the run ledger holds the same counts');
  });

  it('dry run reports what would happen and writes nothing', async () => {
    await seedMixedKeyspace();
    const result = await ctx.migrations.migrate({ dryRun: true });
    assert.equal(result.dryRun, true);
    assert.equal(result.runId, null);
    assert.equal(result.counts.scanned, SEEDED);
    assert.equal(result.counts.migrated, 6);
    assert.equal(result.counts.rejected, 13);
    assert.ok(result.balanced);
    assert.ok(result.samples.length > 0 && result.samples.every((s) => s.reasons.length > 0));
    assert.equal(await count('tenants'), 0);
    assert.equal(await count('migration_runs'), 0);
    assert.equal(await count('migration_exceptions'), 0);

    await ctx.migrations.migrate();
    await stores.redis.set(key('pizza'), JSON.stringify({ ...LEGACY, emoji: '🍔' }));
    const preview = await ctx.migrations.migrate({ dryRun: true });
    assert.equal(preview.counts.updated, 1, 'a changed value would be updated');
    assert.equal(preview.counts.unchanged, 5);
    assert.equal((await tenant('pizza'))?.emoji, '🍕', 'and still is not');
  });

  it('a second run reports everything unchanged and writes nothing', async () => {
    await seedMixedKeyspace();
    const first = await ctx.migrations.migrate();
    const before = (
      await stores.db.query<TenantRow>('SELECT *, xmin::text FROM tenants ORDER BY subdomain')
    ).rows;
    const second = await ctx.migrations.migrate();
    const afterRows = (
      await stores.db.query<TenantRow>('SELECT *, xmin::text FROM tenants ORDER BY subdomain')
    ).rows;

    assert.equal(second.counts.migrated, 0);
    assert.equal(second.counts.unchanged, first.counts.migrated);
    assert.equal(second.counts.rejected, first.counts.rejected);
    assert.deepEqual(afterRows, before, 'no row was rewritten (same xmin, timestamps and values)');
    assert.notEqual(second.runId, first.runId);
  });

  it('leaves Redis byte-identical (values, types and TTLs)', async () => {
    await seedMixedKeyspace();
    const before = await snapshotRedis(stores.redis, `${stores.prefix}*`);
    await ctx.migrations.migrate();
    await ctx.migrations.migrate({ dryRun: true });
    await ctx.migrations.validateAll();
    const after = await snapshotRedis(stores.redis, `${stores.prefix}*`);
    assert.equal(before.size, SEEDED);
    assert.deepEqual(after, before);
  });

  it('resumes an interrupted run unless told not to, and then retires it', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify(LEGACY));
    const insertInterrupted = async (id: string) =>
      stores.db.query(
        `INSERT INTO migration_runs (id, kind, status, options, counts, checkpoint)
         VALUES ($1, 'migrate', 'running', $2, $3, NULL)`,
        [
          id,
          JSON.stringify({ prefix: stores.prefix, batchSize: 5, conflictPolicy: 'keep-postgres' }),
          JSON.stringify({}),
        ],
      );
    const status = async (id: string) =>
      (
        await stores.db.query<{ status: string }>(
          'SELECT status FROM migration_runs WHERE id = $1',
          [id],
        )
      ).rows[0]?.status;

    await insertInterrupted('11111111-1111-4111-8111-111111111111');
    let statusAtStart: Promise<string | undefined> = Promise.resolve(undefined);
    const resumed = await ctx.migrations.migrate({
      onStart: (id) => {
        statusAtStart = status(id);
      },
    });
    assert.equal(resumed.resumed, true);
    assert.equal(await statusAtStart, 'running', 'a resumed run is running again');
    assert.equal(await status('11111111-1111-4111-8111-111111111111'), 'completed');
    assert.equal(resumed.runId, '11111111-1111-4111-8111-111111111111');
    assert.equal(resumed.counts.migrated, 1);

    await insertInterrupted('22222222-2222-4222-8222-222222222222');
    const fresh = await ctx.migrations.migrate({ autoResume: false });
    assert.equal(fresh.resumed, false);
    assert.notEqual(fresh.runId, '22222222-2222-4222-8222-222222222222');
    assert.equal(await status('22222222-2222-4222-8222-222222222222'), 'abandoned');
    const later = await ctx.migrations.migrate();
    assert.equal(later.resumed, false, 'an abandoned run is never picked up again');
  });

  it('rejects key names that are not UTF-8 or hold a NUL, and keeps migrating', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify(LEGACY));
    await stores.redis.set(
      Buffer.concat([Buffer.from(key('bad')), Buffer.from([0xff, 0xfe])]),
      JSON.stringify(LEGACY),
    );
    await stores.redis.set(key('nul\0name'), JSON.stringify(LEGACY));
    const result = await ctx.migrations.migrate();
    assert.ok(result.balanced);
    assert.deepEqual(
      [result.counts.scanned, result.counts.migrated, result.counts.rejected],
      [3, 1, 2],
    );
    assert.equal(result.counts.rejectedByReason['invalid-key-name'], 1);
    const { rows } = await stores.db.query<{ key: string; reasons: OutcomeReason[] }>(
      'SELECT key, reasons FROM migration_exceptions ORDER BY key',
    );
    assert.deepEqual(
      rows.map((r) => r.key),
      [`${key('bad')}\\xff\\xfe`, `${key('nul')}\\x00name`],
    );
    assert.equal(rows[1].reasons[0].field, 'subdomain');
    await deleteByPattern(stores.redis, `${stores.prefix}*`);
  });

  it('never uses KEYS (it SCANs), whatever it runs', async () => {
    const keysCalls = async (): Promise<number> =>
      Number(/cmdstat_keys:calls=(\d+)/.exec(await stores.redis.info('commandstats'))?.[1] ?? 0);
    await seedMixedKeyspace();
    const before = await keysCalls();
    await ctx.migrations.migrate();
    await ctx.migrations.migrate({ dryRun: true });
    await ctx.migrations.validateAll();
    assert.equal(await keysCalls(), before);
  });

  it('keeps PostgreSQL when it changed after migration, unless told to overwrite', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify(LEGACY));
    await stores.redis.set(key('tacos'), JSON.stringify({ emoji: '🌮', createdAt: 1700000000000 }));
    await ctx.migrations.migrate();
    await stores.db.query(
      `UPDATE tenants SET business_name = 'Edited in the app' WHERE subdomain = 'pizza'`,
    );
    await stores.redis.set(key('pizza'), JSON.stringify({ ...LEGACY, emoji: '🍔' }));
    await stores.redis.set(key('tacos'), JSON.stringify({ emoji: '🌯', createdAt: 1700000000000 }));

    const kept = await ctx.migrations.migrate();
    assert.equal(kept.counts.conflicts, 1);
    assert.equal(kept.counts.skippedByReason['conflict-postgres-changed'], 1);
    assert.equal(kept.counts.updated, 1, 'the tenant changed only in Redis is updated');
    assert.equal((await tenant('pizza'))?.business_name, 'Edited in the app');
    assert.equal((await tenant('tacos'))?.emoji, '🌯');
    assert.ok(kept.balanced);

    const skipped = await ctx.migrations.migrate({ conflictPolicy: 'skip' });
    assert.equal(skipped.counts.skippedByReason['exists-in-postgres'], 1);

    const overwritten = await ctx.migrations.migrate({ conflictPolicy: 'overwrite' });
    assert.equal(overwritten.counts.updated, 1);
    const pizza = await tenant('pizza');
    assert.equal(pizza?.emoji, '🍔', 'Redis wins the fields its record carries under overwrite');
    assert.equal(
      pizza?.business_name,
      'Edited in the app',
      'a legacy record carries no profile, so it never clears one',
    );
  });

  it('keeps tenant ids stable across runs and changes', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify(LEGACY));
    await ctx.migrations.migrate();
    const id = (await tenant('pizza'))?.id;
    await stores.redis.set(key('pizza'), JSON.stringify({ ...LEGACY, emoji: '🍔' }));
    await ctx.migrations.migrate();
    await stores.clearDatabase();
    await ctx.migrations.migrate();
    assert.match(id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((await tenant('pizza'))?.id, id);
  });

  it('refuses a second concurrent migration with the advisory lock', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify(LEGACY));
    const holder = new pg.Client({ connectionString: stores.databaseUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, ['tenants']);
      await assert.rejects(ctx.migrations.migrate(), MigrationLockedError);
      assert.equal(await count('tenants'), 0);
    } finally {
      await holder.end();
    }
    const result = await ctx.migrations.migrate();
    assert.equal(result.counts.migrated, 1, 'runs once the lock is free');
  });

  it('reads vanished, wrong-type and oversized keys as such', async () => {
    const reader = ctx.app.get(RedisKeyspaceReader);
    await stores.redis.set(key('a'), '{}');
    await stores.redis.sadd(key('set'), 'x');
    await stores.redis.set(key('big'), 'x'.repeat(100));
    await stores.redis.set(key('empty'), '');
    const entries = await reader.fetch(
      [key('a'), key('gone'), key('set'), key('big'), key('empty')],
      50,
    );
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['value', 'vanished', 'wrong-type', 'too-large', 'value'],
    );
    assert.equal(entries[2].kind === 'wrong-type' && entries[2].type, 'set');
    assert.equal(entries[3].kind === 'too-large' && entries[3].size, 100);
  });

  it('reports an unreachable Redis as StoreUnavailableError, not a raw client error', async () => {
    const offline = new Redis('redis://127.0.0.1:6390', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    offline.on('error', () => undefined);
    try {
      const reader = new RedisKeyspaceReader(offline);
      await assert.rejects(reader.fetch([key('a')], 100), StoreUnavailableError);
      await assert.rejects(
        reader.batches({ prefix: stores.prefix, batchSize: 10, maxValueBytes: 100 }).next(),
        StoreUnavailableError,
      );
    } finally {
      offline.disconnect();
    }
  });

  it('accounts for keys deleted while a run is under way', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => key(`shop-${i}`));
    for (const k of keys) await stores.redis.set(k, JSON.stringify(LEGACY));
    // The keys are deleted between SCAN and the value read, every run: from inside the reader's
    // value fetch of the first batch, every other key SCAN listed for it.
    const reader = ctx.app.get(RedisKeyspaceReader);
    const fetch = reader.fetch.bind(reader);
    const deleted: string[] = [];
    reader.fetch = async (names, maxValueBytes) => {
      if (deleted.length === 0 && names.length > 0) {
        deleted.push(...names.filter((_, i) => i % 2 === 0));
        await stores.redis.del(...deleted);
      }
      return fetch(names, maxValueBytes);
    };
    let result: MigrationResult;
    try {
      result = await ctx.migrations.migrate({ batchSize: 5 });
    } finally {
      Reflect.deleteProperty(reader, 'fetch');
    }
    assert.ok(deleted.length >= 3, `a first batch of at least 5 keys, got ${deleted.length * 2}`);
    assert.ok(result.balanced);
    assert.equal(result.counts.scanned, 30, 'every key SCAN listed is accounted for once');
    assert.equal(result.counts.scanned, result.counts.migrated + result.counts.skipped);
    assert.equal(
      result.counts.skipped,
      result.counts.skippedByReason.vanished ?? 0,
      'any key fetched after deletion is skipped as vanished',
    );
    assert.equal(
      result.counts.skippedByReason.vanished,
      deleted.length,
      'each deleted key vanished',
    );
    assert.equal(result.counts.migrated, 30 - deleted.length);
    assert.equal(
      await count('tenants'),
      result.counts.migrated,
      'nothing counted that was not written',
    );
    const vanished = await stores.db.query<{ key: string }>(
      `SELECT key FROM migration_exceptions WHERE reasons->0->>'code' = 'vanished'`,
    );
    assert.deepEqual(
      vanished.rows.map((r) => r.key).sort(),
      [...deleted].sort(),
      'the deleted keys, and only they, are quarantined as vanished',
    );
  });
});
