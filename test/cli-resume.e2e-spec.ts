/**
 * `resume <runId>`, as the README's "Resume and the lock" promises it: an interrupted run (the
 * CLI killed at an exact batch by TENANT_MIGRATE_KILL_AT) finishes with every key counted once;
 * a completed run, an unknown id, a run of another key prefix and `--dry-run` are refused with
 * exit 2 and one line, leaving the run as it was; a resumed run keeps its own options and says
 * so when the invocation asked for others.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestStores, testNamespace, type TestStores } from './support/test-stores.js';
import { runCli, type CliResult } from './support/cli.js';

const TENANTS = 500;
const BATCH = '50';

interface RunRow {
  id: string;
  status: string;
  scanned: number;
  batches: number;
}

describe('CLI: resume <runId>', () => {
  let stores: TestStores;
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: stores.databaseUrl,
    TENANT_KEY_PREFIX: stores.prefix,
    ...extra,
  });
  const runs = async (): Promise<RunRow[]> =>
    (
      await stores.db.query<RunRow>(
        `SELECT id, status, (counts->>'scanned')::int AS scanned, COALESCE((checkpoint->>'batches')::int, 0) AS batches
           FROM migration_runs ORDER BY started_at`,
      )
    ).rows;
  const tenants = async (): Promise<number> =>
    Number((await stores.db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);
  /** The tenant-migrate lines on stderr (progress lines aside). */
  const messages = (result: CliResult): string[] =>
    result.stderr.split('\n').filter((line) => line.startsWith('tenant-migrate:'));

  /** A migration killed (SIGKILL) right after its second batch committed: its run stays open. */
  const interruptedRun = async (): Promise<RunRow> => {
    const killed = await runCli(
      ['migrate', '--batch-size', BATCH],
      env({ TENANT_MIGRATE_KILL_AT: 'batch-committed:2' }),
    );
    assert.equal(killed.signal, 'SIGKILL', `killed at the kill point: ${killed.stderr}`);
    const [run, ...others] = await runs();
    assert.deepEqual(others, [], 'one run recorded');
    assert.equal(run.status, 'running', 'the dead process left its run open');
    assert.equal(run.batches, 2);
    assert.ok(run.scanned > 0 && run.scanned < TENANTS, `stopped mid-run (scanned ${run.scanned})`);
    return run;
  };

  /** A refusal: exit 2, nothing on stdout, exactly this one line on stderr. */
  const assertRefused = (result: CliResult, line: string): void => {
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `${line}\n`);
  };

  before(async () => {
    stores = await createTestStores('cli_resume');
    const pipeline = stores.redis.pipeline();
    for (let i = 0; i < TENANTS; i++)
      pipeline.set(
        `${stores.prefix}shop-${i}`,
        JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 + i }),
      );
    await pipeline.exec();
  });
  beforeEach(() => stores.clearDatabase());
  after(() => stores.close());

  it('finishes an interrupted run: its title says resumed and every key is counted once', async () => {
    const run = await interruptedRun();
    const before = await tenants();
    assert.ok(before > 0 && before < TENANTS, 'the first batches were committed');

    const resumed = await runCli(['resume', run.id, '--batch-size', BATCH], env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(messages(resumed), [], 'no notice: the options asked for are the run’s');
    assert.match(
      resumed.stdout,
      new RegExp(`^Migration run ${run.id} \\(resumed\\): \\d+\\.\\ds, [\\d,]+ keys/s\n`),
    );
    for (const [label, count] of [
      ['scanned', TENANTS],
      ['migrated', TENANTS],
      ['unchanged', 0],
      ['skipped', 0],
      ['rejected', 0],
      ['conflicts', 0],
    ] as const)
      assert.match(resumed.stdout, new RegExp(`^  ${label} +${count}(  |$)`, 'm'), label);
    assert.match(
      resumed.stdout,
      /^Counts add up: scanned = migrated \+ unchanged \+ skipped \+ rejected\.$/m,
    );
    assert.doesNotMatch(resumed.stdout, /repeated/, 'no key met twice');
    assert.equal(await tenants(), TENANTS);
    assert.deepEqual(
      (await runs()).map((r) => [r.id, r.status, r.scanned]),
      [[run.id, 'completed', TENANTS]],
      'the same run completed; no new one',
    );
  });

  it('says that a resumed run kept its own options when others were asked for', async () => {
    const run = await interruptedRun();
    const resumed = await runCli(
      ['resume', run.id, '--batch-size', '200', '--conflict-policy', 'overwrite', '--json'],
      env(),
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(messages(resumed), [
      `tenant-migrate: resumed run ${run.id} kept its own options (batch size ${BATCH}, conflict policy keep-postgres); ` +
        'use --no-resume to start a new run with yours',
    ]);
    const doc = JSON.parse(resumed.stdout) as {
      runId: string;
      resumed: boolean;
      balanced: boolean;
      options: { batchSize: number; conflictPolicy: string };
      counts: Record<'scanned' | 'migrated' | 'unchanged' | 'skipped' | 'rejected', number>;
    };
    assert.equal(doc.runId, run.id);
    assert.equal(doc.resumed, true);
    assert.deepEqual(doc.options, {
      prefix: stores.prefix,
      batchSize: 50,
      conflictPolicy: 'keep-postgres',
    });
    const { scanned, migrated, unchanged, skipped, rejected } = doc.counts;
    assert.equal(doc.balanced, true);
    assert.equal(scanned, TENANTS);
    assert.equal(migrated + unchanged + skipped + rejected, scanned);
    assert.equal(await tenants(), TENANTS);
  });

  it('refuses a completed run with exit 2 and changes nothing', async () => {
    const done = await runCli(['migrate', '--json'], env());
    assert.equal(done.code, 0, done.stderr);
    const { runId } = JSON.parse(done.stdout) as { runId: string };
    const resumed = await runCli(['resume', runId], env());
    assertRefused(resumed, `tenant-migrate: run ${runId} already completed`);
    assert.deepEqual(
      (await runs()).map((r) => [r.id, r.status, r.scanned]),
      [[runId, 'completed', TENANTS]],
    );
  });

  it('refuses an unknown run id with exit 2', async () => {
    const id = randomUUID();
    assertRefused(await runCli(['resume', id], env()), `tenant-migrate: no migration run ${id}`);
    assert.deepEqual(await runs(), [], 'no run started instead');
    assert.equal(await tenants(), 0);
  });

  it('refuses a run of another key prefix with exit 2 and leaves it to its own prefix', async () => {
    const run = await interruptedRun();
    const other = `${testNamespace('cli_resume')}elsewhere:`;
    const resumed = await runCli(['resume', run.id], env({ TENANT_KEY_PREFIX: other }));
    assertRefused(
      resumed,
      `tenant-migrate: run ${run.id} migrated prefix "${stores.prefix}", this process is configured for "${other}"`,
    );
    assert.deepEqual(await runs(), [run], 'the run is untouched');
  });

  it('refuses resume --dry-run with exit 2 and leaves the run as it was', async () => {
    const run = await interruptedRun();
    const before = await tenants();
    const resumed = await runCli(['resume', run.id, '--dry-run'], env());
    assertRefused(resumed, 'tenant-migrate: resume cannot be a dry run: use dry-run to preview');
    assert.deepEqual(await runs(), [run], 'the run is untouched');
    assert.equal(await tenants(), before);
  });
});
