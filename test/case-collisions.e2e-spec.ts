/**
 * Keys that differ only in case (`Zeta`, `ZETA`, `zeta`) all name the subdomain `zeta`: one of
 * them becomes the tenant, the others are rejected as `subdomain-conflict`. The dry run, the
 * real run, a repeated run and the integrity check must judge them alike whatever the batch
 * boundaries and SCAN order: small batches put the variants in different batches, a large one
 * puts them in one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplicationContext } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  IntegrityService,
  TENANT_REDIS,
  type IntegrityReport,
  type MigrationCounts,
  type MigrationResult,
  type OutcomeReason,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';

/**
 * Closes a context and then its Redis connection: @nestjs-modules/ioredis quits connections
 * from a static set the first closed app empties, so the connection of every other app of this
 * process would stay open (and keep the test process alive).
 */
const closeApp = async (app: INestApplicationContext): Promise<void> => {
  const redis = app.get<Redis>(TENANT_REDIS, { strict: false });
  await app.close();
  if (redis.status !== 'end') redis.disconnect();
};

/** 1: every key a batch of its own; 2 and 3: variants apart or together by SCAN order; 1000: one batch. */
const BATCH_SIZES = [1, 2, 3, 1000] as const;
type BatchSize = (typeof BATCH_SIZES)[number];

/** A key of the keyspace (the name after the prefix) and its value. */
interface Seed {
  name: string;
  value: string;
}

const BROKEN = '{"emoji": broken';
const cap = (base: string): string => base[0].toUpperCase() + base.slice(1);
/** Every other letter upper case: `oMeGa`. */
const alternating = (base: string): string =>
  [...base].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join('');

/**
 * The case-collision keyspaces, each for one subdomain `base`. The emojis differ per key, so a
 * comparison against the wrong key's value would show as drift.
 */
const SCENARIOS: { name: string; group: (base: string) => Seed[] }[] = [
  {
    name: 'two variants',
    group: (b) => [
      { name: cap(b), value: legacy('🍕') },
      { name: b.toUpperCase(), value: legacy('🌮') },
    ],
  },
  {
    name: 'three variants',
    group: (b) => [
      { name: cap(b), value: legacy('🍕') },
      { name: b.toUpperCase(), value: legacy('🌮') },
      { name: alternating(b), value: legacy('🍣') },
    ],
  },
  {
    name: 'variants and the exact lowercase key',
    group: (b) => [
      { name: cap(b), value: legacy('🍕') },
      { name: b.toUpperCase(), value: legacy('🌮') },
      { name: b, value: legacy('🥐') },
    ],
  },
  {
    name: 'variants, one invalid',
    group: (b) => [
      { name: cap(b), value: legacy('🍕') },
      { name: b.toUpperCase(), value: BROKEN },
    ],
  },
  {
    name: 'an invalid exact key and a variant',
    group: (b) => [
      { name: b, value: BROKEN },
      { name: cap(b), value: legacy('🍕') },
    ],
  },
];

/** Two groups per keyspace; the bases change with the batch size, so the SCAN order does too. */
const BASES: Record<BatchSize, [string, string]> = {
  1: ['zeta', 'omega'],
  2: ['kappa', 'sigma'],
  3: ['delta', 'theta'],
  1000: ['gamma', 'lambda'],
};
/** Unrelated tenants between the variants, so small batches split the variants apart. */
const FILLERS = ['f1', 'f2', 'f3', 'f4', 'f5'];

/** What the dry run must predict exactly. */
const predicted = (c: MigrationCounts) => ({
  scanned: c.scanned,
  created: c.created,
  updated: c.updated,
  unchanged: c.unchanged,
  skipped: c.skipped,
  rejected: c.rejected,
  rejectedByReason: c.rejectedByReason,
  skippedByReason: c.skippedByReason,
});

describe('keys that differ only in case', () => {
  let stores: TestStores;
  const contexts = new Map<BatchSize, MigrationContext>();
  const key = (name: string): string => `${stores.prefix}${name}`;

  before(async () => {
    stores = await createTestStores('case_collisions');
    // The check reads with the module's batch size; one context per size.
    for (const batchSize of BATCH_SIZES)
      contexts.set(batchSize, await createMigrationContext(stores, { batchSize }));
  });
  after(async () => {
    for (const ctx of contexts.values()) await closeApp(ctx.app);
    await stores.close();
  });
  const clearStores = async (): Promise<void> => {
    await stores.clearRedis();
    await stores.clearDatabase();
  };

  const contextFor = (batchSize: BatchSize): MigrationContext => {
    const ctx = contexts.get(batchSize);
    assert.ok(ctx);
    return ctx;
  };

  const seed = async (seeds: Seed[]): Promise<void> => {
    for (const s of seeds) await stores.redis.set(key(s.name), s.value);
  };

  /** The rejected keys of a real run, from its quarantine, with their reason codes. */
  const rejectedBy = async (runId: string | null): Promise<Map<string, string[]>> => {
    assert.ok(runId, 'a real run has an id');
    const { rows } = await stores.db.query<{ key: string; reasons: OutcomeReason[] }>(
      `SELECT key, reasons FROM migration_exceptions WHERE run_id = $1 AND bucket = 'rejected' ORDER BY key`,
      [runId],
    );
    return new Map(rows.map((r) => [r.key, r.reasons.map((reason) => reason.code)]));
  };

  /** The dry run's rejected keys (its samples list every exception of these small keyspaces). */
  const rejectedIn = (result: MigrationResult): string[] =>
    result.samples
      .filter((s) => s.bucket === 'rejected')
      .map((s) => s.key)
      .sort();

  const tenantOf = async (subdomain: string): Promise<{ source_key: string; emoji: string }[]> =>
    (
      await stores.db.query<{ source_key: string; emoji: string }>(
        'SELECT source_key, emoji FROM tenants WHERE subdomain = $1',
        [subdomain],
      )
    ).rows;

  /**
   * The check agrees with the run: nothing drifted, every key the run rejected is invalid for
   * the check too (the conflicts as `subdomain-conflict`), and nothing else is.
   */
  const assertCheckAgrees = (
    report: IntegrityReport,
    rejected: Map<string, string[]>,
    context: string,
  ): void => {
    assert.equal(
      report.consistent,
      true,
      `${context}: check finds the stores consistent: ${JSON.stringify(report.drift)}`,
    );
    assert.deepEqual(
      report.drift.filter((d) => d.kind === 'different' && !d.fields?.length),
      [],
      `${context}: no difference without a field`,
    );
    assert.equal(
      report.invalid,
      rejected.size,
      `${context}: check counts as invalid what the run rejected`,
    );
    assert.equal(
      report.redisKeys,
      report.valid + report.invalid + report.skipped,
      `${context}: every key counted once`,
    );
    assert.equal(
      report.valid,
      report.matching + report.different + report.onlyInRedis,
      `${context}: every valid record classified once`,
    );
    assert.deepEqual(
      report.invalidRecords.map((r) => r.key).sort(),
      [...rejected.keys()],
      `${context}: check lists the keys the run rejected`,
    );
    for (const record of report.invalidRecords) {
      if (rejected.get(record.key)?.includes('subdomain-conflict')) {
        assert.ok(
          record.reasons.some((r) => r.code === 'subdomain-conflict'),
          `${context}: ${record.key} is a subdomain-conflict for the check too, got ${JSON.stringify(record.reasons)}`,
        );
      }
    }
  };

  for (const scenario of SCENARIOS) {
    for (const batchSize of BATCH_SIZES) {
      describe(`${scenario.name}, batch size ${batchSize}`, () => {
        const context = `${scenario.name} (batch ${batchSize})`;
        let ctx: MigrationContext;
        let groups: { base: string; seeds: Seed[] }[];
        let dry: MigrationResult;
        let real: MigrationResult;
        let rejected: Map<string, string[]>;

        // One keyspace, previewed then migrated; each test below judges one side of it.
        before(async () => {
          ctx = contextFor(batchSize);
          await clearStores();
          groups = BASES[batchSize].map((base) => ({ base, seeds: scenario.group(base) }));
          await seed([
            ...groups.flatMap((g) => g.seeds),
            ...FILLERS.map((name) => ({ name, value: legacy('🧁') })),
          ]);
          dry = await ctx.migrations.migrate({ dryRun: true, batchSize });
          real = await ctx.migrations.migrate({ batchSize });
          rejected = await rejectedBy(real.runId);
        });

        it('the dry run predicts the real run: its counts and its rejected keys', () => {
          assert.equal(real.balanced, true, `${context}: ${JSON.stringify(real.counts)}`);
          assert.deepEqual(
            predicted(dry.counts),
            predicted(real.counts),
            `${context}: the dry run predicts the real run`,
          );
          assert.deepEqual(
            rejectedIn(dry),
            [...rejected.keys()],
            `${context}: the dry run rejects the same keys`,
          );
        });

        it('migrates one tenant per subdomain, from one key; the other keys are rejected', async () => {
          for (const { base, seeds } of groups) {
            const rows = await tenantOf(base);
            const exact = seeds.find((s) => s.name === base);
            // The exact key names the subdomain: a variant never takes it from that key, even an
            // invalid one. Without it, one valid variant becomes the tenant.
            const expectTenant = exact
              ? exact.value !== BROKEN
              : seeds.some((s) => s.value !== BROKEN);
            assert.equal(rows.length, expectTenant ? 1 : 0, `${context}: tenants for ${base}`);
            const owner = rows[0]?.source_key;
            if (exact && expectTenant)
              assert.equal(owner, key(base), `${context}: the exact key keeps ${base}`);
            for (const s of seeds) {
              if (key(s.name) === owner) {
                assert.equal(
                  rejected.has(owner),
                  false,
                  `${context}: the tenant's key is not rejected`,
                );
                assert.equal(
                  rows[0].emoji,
                  (JSON.parse(s.value) as { emoji: string }).emoji,
                  `${context}: the tenant holds its key's value`,
                );
              } else if (s.value === BROKEN) {
                assert.deepEqual(
                  rejected.get(key(s.name)),
                  ['invalid-json'],
                  `${context}: ${s.name}`,
                );
              } else {
                assert.deepEqual(
                  rejected.get(key(s.name)),
                  ['subdomain-conflict'],
                  `${context}: ${s.name} is a conflict`,
                );
              }
            }
          }
        });

        it('the integrity check agrees with the migration', async () => {
          assertCheckAgrees(await ctx.app.get(IntegrityService).check(), rejected, context);
        });

        it('a second migrate on the unchanged keyspace migrates nothing and rejects the same keys', async () => {
          const again = await ctx.migrations.migrate({ batchSize });
          assert.equal(again.balanced, true);
          assert.equal(
            again.counts.migrated,
            0,
            `${context}: the second run migrates nothing: ${JSON.stringify(again.counts)}`,
          );
          assert.equal(
            again.counts.unchanged,
            real.counts.created,
            `${context}: every migrated tenant is unchanged`,
          );
          assert.deepEqual(
            [...(await rejectedBy(again.runId)).keys()],
            [...rejected.keys()],
            `${context}: the second run rejects the same keys`,
          );
          const dryAgain = await ctx.migrations.migrate({ dryRun: true, batchSize });
          assert.deepEqual(
            predicted(dryAgain.counts),
            predicted(again.counts),
            `${context}: a dry run after the migration predicts the second run`,
          );
        });
      });
    }
  }

  for (const batchSize of [1, 3, 1000] as const) {
    it(`an exact key added after a variant was migrated is rejected by migrate and invalid for check (batch size ${batchSize})`, async () => {
      const ctx = contextFor(batchSize);
      await clearStores();
      const [base] = BASES[batchSize];
      await seed([
        { name: cap(base), value: legacy('🍕') },
        ...FILLERS.map((name) => ({ name, value: legacy('🧁') })),
      ]);
      const first = await ctx.migrations.migrate({ batchSize });
      assert.equal(first.counts.created, FILLERS.length + 1);
      assert.deepEqual(await tenantOf(base), [{ source_key: key(cap(base)), emoji: '🍕' }]);

      // The tenant belongs to the key it was migrated from: the newcomer may not take it over.
      await seed([{ name: base, value: legacy('🥐') }]);
      const dry = await ctx.migrations.migrate({ dryRun: true, batchSize });
      const real = await ctx.migrations.migrate({ batchSize });
      assert.equal(real.balanced, true);
      assert.deepEqual(
        predicted(dry.counts),
        predicted(real.counts),
        'the dry run predicts the real run',
      );
      const rejected = await rejectedBy(real.runId);
      assert.deepEqual(rejectedIn(dry), [...rejected.keys()], 'the dry run rejects the same keys');
      assert.deepEqual(
        rejected.get(key(base)),
        ['subdomain-conflict'],
        "migrate rejects the exact key: the tenant is another key's",
      );
      assert.equal(real.counts.migrated, 0);
      assert.deepEqual(
        await tenantOf(base),
        [{ source_key: key(cap(base)), emoji: '🍕' }],
        'the tenant is left as it was',
      );

      const report = await ctx.app.get(IntegrityService).check();
      assertCheckAgrees(report, rejected, `exact key added (batch ${batchSize})`);
      assert.equal(
        report.onlyInPostgres,
        0,
        'the tenant of a rejected key is not "only in PostgreSQL"',
      );
    });
  }
});
