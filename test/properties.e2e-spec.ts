/**
 * The end-to-end property of the product, over generated keyspaces (test/support/hostile-data.ts)
 * in the real Redis and PostgreSQL: a dry run and then a migration of any keyspace never throw,
 * balance, predict each other, and leave every key in exactly one bucket with storable reasons.
 *
 * A failure prints fast-check's seed, path and shrunk keyspace; replay it with
 * TM_PROPERTY_SEED=<seed> TM_PROPERTY_PATH=<path>. TM_PROPERTY_RUNS scales the number of cases.
 * `npm run bench -- properties` runs the same property at a larger count.
 */
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  binaryNameKeyspace,
  batchSize,
  checkKeyspace,
  KEYSPACE_SHRINKS,
  utf8Keyspace,
  type KeyspaceHarness,
} from './support/hostile-data.js';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';

const scale = Number(process.env.TM_PROPERTY_RUNS ?? 1);
const runs = <T>(n: number): fc.Parameters<T> => {
  const seed = process.env.TM_PROPERTY_SEED;
  return {
    numRuns: Math.max(1, Math.round(n * scale)),
    includeErrorInReport: true,
    ...(seed ? { seed: Number(seed), path: process.env.TM_PROPERTY_PATH } : {}),
  };
};

describe('property: any keyspace migrates with every key in exactly one bucket', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let harness: KeyspaceHarness;

  before(async () => {
    stores = await createTestStores('properties');
    // Nest's logger would print every failed batch of every shrinking step.
    ctx = await createMigrationContext(stores);
    ctx.app.useLogger(false);
    harness = { ...stores, migrations: ctx.migrations };
  });
  after(async () => {
    await ctx.close();
    await stores.close();
  });

  it('keyspaces of up to 400 keys named in UTF-8 (case variants, renames, hostile values, hashes and lists)', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchSize,
        fc.limitShrink(utf8Keyspace(400), KEYSPACE_SHRINKS),
        async (size, keyspace) => {
          await checkKeyspace(harness, keyspace, size);
        },
      ),
      runs(40),
    );
  });

  it('keyspaces with key names that are not UTF-8, and valid names spelled like their escaped form', async () => {
    await fc.assert(
      fc.asyncProperty(
        batchSize,
        fc.limitShrink(binaryNameKeyspace(60), KEYSPACE_SHRINKS),
        async (size, keyspace) => {
          await checkKeyspace(harness, keyspace, size);
        },
      ),
      runs(15),
    );
  });
});
