import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationProgress } from '#tenant-migration';
import { scanFraction } from '../libs/tenant-migration/src/source/scan-cursor.js';
import {
  createMigrationContext,
  createTestStores,
  deleteByPattern,
  testNamespace,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';

const FILLER = 30_000;

/**
 * The progress estimate of a run counts the tenant keys under the prefix, not every key of the
 * database: with a few tenant keys among many others, DBSIZE made the ETA absurd (2 tenant keys
 * in a 300k-key database showed "ETA 32087s").
 */
describe('progress: the estimated total and the ETA follow the keys under the prefix', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  const filler = `${testNamespace('progress_estimate')}filler:`;

  before(async () => {
    stores = await createTestStores('progress_estimate');
    ctx = await createMigrationContext(stores);
    for (let i = 0; i < FILLER; i += 5_000) {
      const pipeline = stores.redis.pipeline();
      for (let j = i; j < i + 5_000; j++) pipeline.set(`${filler}${j}`, 'not a tenant');
      await pipeline.exec();
    }
  });
  after(async () => {
    await deleteByPattern(stores.redis, `${filler}*`);
    await ctx.close();
    await stores.close();
  });
  beforeEach(async () => {
    await deleteByPattern(stores.redis, `${stores.prefix}*`);
    await stores.clearDatabase();
  });

  const seed = async (n: number) => {
    const pipeline = stores.redis.pipeline();
    for (let i = 0; i < n; i++)
      pipeline.set(`${stores.prefix}shop-${i}`, legacy('🍕', 1700000000000 + i));
    await pipeline.exec();
  };

  it('estimates the tenant keys, not DBSIZE, within a factor of 2.5 once the scan is under way', async () => {
    await seed(2_000);
    const seen: MigrationProgress[] = [];
    const result = await ctx.migrations.migrate({
      batchSize: 200,
      onProgress: (p) => seen.push(p),
    });
    assert.equal(result.counts.scanned, 2_000);
    const estimates = seen.map((p) => p.estimatedTotal).filter((e): e is number => e !== null);
    assert.ok(estimates.length > 0, 'the run gave estimates');
    for (const e of estimates)
      assert.ok(
        e >= 2_000 / 2.5 && e <= 2_000 * 2.5,
        `estimate ${e} for 2,000 tenant keys among ${FILLER} others`,
      );
    assert.equal(
      seen.at(-1)?.estimatedTotal,
      2_000,
      'at the end of the scan the estimate is the count',
    );
  });

  it('shows a small ETA for a few tenant keys among many others', async () => {
    await seed(2);
    const seen: MigrationProgress[] = [];
    await ctx.migrations.migrate({ batchSize: 200, onProgress: (p) => seen.push(p) });
    for (const p of seen)
      assert.ok(
        p.etaSeconds === null || p.etaSeconds < 60,
        `ETA ${p.etaSeconds}s for 2 tenant keys`,
      );
  });

  it('reads how far a SCAN has got from its cursor (reversed bits over the table size)', () => {
    assert.equal(scanFraction('0', 1_000), 1);
    // In a table of 1024 buckets, cursor 512 (binary 10_0000_0000) reversed is 1: 1/1024 done.
    assert.equal(scanFraction('512', 1_000), 1 / 1024);
    assert.equal(scanFraction('1', 1_000), 0.5);
    assert.equal(scanFraction('3', 1_000), 0.75);
  });
});
