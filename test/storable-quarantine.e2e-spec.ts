import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntegrityService, type OutcomeReason } from '#tenant-migration';
import { isStorableText } from '../libs/tenant-migration/src/common/storable-text.js';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

/**
 * Values whose quarantine reasons carry text PostgreSQL refuses in jsonb: a NUL or a lone
 * surrogate in a member name (the reason names the field), and a bare emoji (V8's JSON error
 * message quotes half of its surrogate pair). Before the fix one of them in a batch rolled
 * the whole batch back, and every rerun failed on it.
 */
const HOSTILE: Record<string, string> = {
  'nul-name': '{"emoji":"🍕","createdAt":1700000000000,"\\u0000x":1}',
  'surrogate-name': '{"emoji":"🍕","createdAt":1700000000000,"features":{"\\ud800":true}}',
  'bare-emoji': '🍕',
  'raw-lone-surrogate': `{"emoji":"🍕","createdAt":1700000000000,"${'\ud83c'}x":1}`,
  'nul-everywhere': '{"\\u0000":"\\u0000","emoji":"\\u0000","createdAt":"\\u0000"}',
  'low-surrogate-name': '{"emoji":"🍕","createdAt":1700000000000,"\\udfff\\ud800":1}',
};
const VALID = 40;

describe('quarantine reasons are always storable; a bad value never fails its batch', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  const key = (name: string) => `${stores.prefix}${name}`;

  before(async () => {
    stores = await createTestStores('storable');
    ctx = await createMigrationContext(stores);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    for (const [name, value] of Object.entries(HOSTILE)) await stores.redis.set(key(name), value);
    for (let i = 0; i < VALID; i++)
      await stores.redis.set(key(`shop-${i}`), legacy('🍕', 1700000000000 + i));
  });

  const exceptions = async () =>
    (
      await stores.db.query<{
        key: string;
        bucket: string;
        reasons: OutcomeReason[];
        reasons_text: string;
      }>(
        'SELECT key, bucket, reasons, reasons::text AS reasons_text FROM migration_exceptions ORDER BY key',
      )
    ).rows;

  for (const batchSize of [1, 7, 1000]) {
    it(`migrates every valid key and quarantines each hostile one with a readable reason (batch size ${batchSize})`, async () => {
      const result = await ctx.migrations.migrate({ batchSize });
      assert.ok(result.balanced, JSON.stringify(result.counts));
      assert.equal(result.counts.scanned, VALID + Object.keys(HOSTILE).length);
      assert.equal(result.counts.created, VALID);
      assert.equal(result.counts.rejected, Object.keys(HOSTILE).length);
      assert.equal(
        (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0].n,
        VALID,
      );

      const rows = await exceptions();
      assert.deepEqual(rows.map((r) => r.key).sort(), Object.keys(HOSTILE).map(key).sort());
      for (const row of rows) {
        assert.equal(row.bucket, 'rejected');
        assert.ok(row.reasons.length > 0, row.key);
        assert.deepEqual(JSON.parse(row.reasons_text), row.reasons);
        for (const r of row.reasons)
          for (const text of [r.code, r.message, r.field ?? ''])
            assert.ok(isStorableText(text), JSON.stringify(text));
      }
      const byName = new Map(rows.map((r) => [r.key.slice(stores.prefix.length), r.reasons]));
      assert.ok(
        byName
          .get('nul-name')
          ?.some((r) => r.code === 'unknown-field' && r.message.includes('\\x00x')),
        JSON.stringify(byName.get('nul-name')),
      );
      assert.ok(
        byName.get('surrogate-name')?.some((r) => r.message.includes('\\ud800')),
        JSON.stringify(byName.get('surrogate-name')),
      );
      assert.ok(
        byName.get('bare-emoji')?.some((r) => r.code === 'invalid-json'),
        JSON.stringify(byName.get('bare-emoji')),
      );

      const again = await ctx.migrations.migrate({ batchSize });
      assert.equal(again.counts.unchanged, VALID, 'a rerun does not fail either');
      assert.equal(again.counts.rejected, Object.keys(HOSTILE).length);
    });
  }

  it('validation and the integrity check report the hostile keys as invalid and agree with the migration', async () => {
    const validation = await ctx.migrations.validateAll();
    assert.equal(validation.rejected, Object.keys(HOSTILE).length);
    assert.equal(validation.valid, VALID);
    await ctx.migrations.migrate();
    const report = await ctx.app.get(IntegrityService).check();
    assert.equal(report.invalid, Object.keys(HOSTILE).length);
    assert.equal(report.consistent, true);
  });

  it('a record PostgreSQL refuses is quarantined by itself as unstorable; the rest of its batch migrates', async () => {
    // A constraint of the host's schema that validation knows nothing about stands for any
    // record the database refuses.
    await stores.db.query(
      `ALTER TABLE tenants ADD CONSTRAINT no_poison CHECK (business_name IS DISTINCT FROM 'Poison Ltd')`,
    );
    try {
      await stores.redis.set(
        key('poison'),
        JSON.stringify({ ...ENHANCED, businessName: 'Poison Ltd' }),
      );
      await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
      const result = await ctx.migrations.migrate({ batchSize: 1000 });
      assert.ok(result.balanced, JSON.stringify(result.counts));
      assert.equal(
        result.counts.created,
        VALID + 1,
        'the valid keys of the refused batch migrated',
      );
      assert.equal(result.counts.rejectedByReason.unstorable, 1);
      const poison = (await exceptions()).find((r) => r.key === key('poison'));
      assert.equal(poison?.reasons[0].code, 'unstorable');
      assert.match(poison?.reasons[0].message ?? '', /no_poison/);
      assert.equal(
        (
          await stores.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM tenants WHERE subdomain = 'salon'`,
          )
        ).rows[0].n,
        1,
      );
    } finally {
      await stores.db.query('ALTER TABLE tenants DROP CONSTRAINT no_poison');
    }
  });
});
