/**
 * A cleanup and a check as operations, stopped midway. Cleanup: pause keeps the backup entries it
 * examined and resume continues from them to the result an uninterrupted cleanup gives; cancel
 * stops after the current batch with what it deleted recorded, and a new cleanup deletes the
 * rest; SIGINT stops the CLI's cleanup the same way (exit 130). Check: pause keeps the Redis side
 * it staged (unlogged tables) and resume reads on from its cursor to the uninterrupted report;
 * cancel of a paused one drops the tables. Real admin app, PostgreSQL and Redis.
 */
import { before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BULK_REDIS_URL } from './support/test-stores.js';
import { seedTenants, type OperationBody } from './support/operations.js';
import { collect, failureOf, startCli } from './support/cli.js';
import { assertProblem } from './support/problem.js';
import { useOperationsApp } from './support/operations-app.js';
import { OperationExecutor } from '../libs/tenant-migration/src/operations/operation-executor.js';

const TOKEN = 'tm-operations-midway-token-0123456789';
/** Enough keys for a cleanup of many batches (of a thousand): a stop lands midway. */
const TENANTS = 30_000;
/** Tenants whose PostgreSQL row is changed after the backup: drifted, so kept. */
const DRIFTED = 40;
/** Keys written after the backup: not covered by it, so kept. */
const LATE = 25;

/** The counts of a cleanup's result (what two results are compared on). */
interface CleanupCounts {
  examined: number;
  deleted: number;
  alreadyGone: number;
  kept: number;
  keptByReason: Record<string, number>;
}
const countsOf = (operation: OperationBody): CleanupCounts => {
  const { examined, deleted, alreadyGone, kept, keptByReason } =
    operation.result as unknown as CleanupCounts;
  return { examined, deleted, alreadyGone, kept, keptByReason };
};

describe('a cleanup or a check paused, stopped or cancelled midway', () => {
  /** What an uninterrupted cleanup of the seeded stores gives (its preview). */
  let whole: CleanupCounts;
  const stores = useOperationsApp('operations_midway', {
    tenants: TENANTS,
    token: TOKEN,
    emptyEachTest: false,
  });
  const { api } = stores;

  const keysLeft = async (): Promise<number> => {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await stores.redis.scan(
        cursor,
        'MATCH',
        `${stores.prefix}*`,
        'COUNT',
        5000,
      );
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  };
  const recorded = async (): Promise<number> =>
    (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM redis_cleanups')).rows[0]
      .n;
  const run = async (body: Record<string, unknown>): Promise<OperationBody> => {
    const done = await api.until((await api.start(body)).id, undefined, 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done;
  };
  /** Starts a confirmed cleanup and waits until it has examined a few batches. */
  const midway = async (): Promise<OperationBody> => {
    const started = await api.start({ kind: 'cleanup', confirm: true });
    await api.until(
      started.id,
      (o) => o.progress?.phase === 'cleaning up' && o.progress.done >= 3000,
      120_000,
    );
    return started;
  };

  before(async () => {
    await run({ kind: 'migrate' });
    const backup = await run({ kind: 'backup' });
    await run({ kind: 'backup-verify', backup: (backup.result as { id: string }).id });
    // Kept for a reason each: drifted in PostgreSQL, written after the backup.
    await stores.db.query(
      `UPDATE tenants SET emoji = '🌮' WHERE subdomain IN (SELECT subdomain FROM tenants ORDER BY subdomain LIMIT ${DRIFTED})`,
    );
    for (let i = 0; i < LATE; i++)
      await stores.redis.set(
        `${stores.prefix}late${i}`,
        JSON.stringify({ emoji: '🍩', createdAt: 1700000000000 }),
      );
    whole = countsOf(await run({ kind: 'cleanup' }));
    assert.deepEqual(
      [whole.examined, whole.deleted, whole.kept],
      [TENANTS, TENANTS - DRIFTED, DRIFTED + LATE],
      JSON.stringify(whole),
    );
  });

  beforeEach(async () => {
    // The deleted keys back with the values the backup holds, and no cleanup on record.
    await seedTenants(stores.redis, stores.prefix, TENANTS);
    await stores.db.query('TRUNCATE redis_cleanups');
  });

  it('pause keeps what it examined; resume continues to the result an uninterrupted cleanup gives, examining no key twice', async () => {
    const started = await midway();
    assert.equal((await api.control(started.id, 'pause')).status, 202);
    const paused = await api.until(started.id);
    assert.equal(paused.status, 'paused', JSON.stringify(paused.error));
    const deletedBefore = TENANTS + LATE - (await keysLeft());
    assert.ok(
      deletedBefore > 0 && deletedBefore < whole.deleted,
      `paused after deleting ${deletedBefore} keys`,
    );
    assert.equal(await recorded(), deletedBefore, 'every deletion so far is recorded');

    assert.equal((await api.control(started.id, 'resume')).status, 202);
    const resumed = await api.until(started.id, undefined, 120_000);
    assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
    assert.equal(resumed.attempts, 2);
    // Had it examined the first part again, its keys would count as already gone.
    assert.deepEqual(countsOf(resumed), whole);
    assert.equal(await keysLeft(), whole.kept);
    assert.equal(await recorded(), whole.deleted);
  });

  it('cancel stops after the current batch with what it deleted recorded; a new cleanup deletes the rest', async () => {
    const started = await midway();
    assert.equal((await api.control(started.id, 'cancel')).status, 202);
    const cancelled = await api.until(started.id);
    assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled.error));
    const deletedBefore = TENANTS + LATE - (await keysLeft());
    assert.ok(deletedBefore > 0 && deletedBefore < whole.deleted, `${deletedBefore} deleted`);
    assert.equal(cancelled.error?.context?.deleted, deletedBefore, JSON.stringify(cancelled.error));
    assert.equal(await recorded(), deletedBefore);
    assertProblem(await api.control(started.id, 'resume'), 409, 'operation-state');

    const rest = countsOf(await run({ kind: 'cleanup', confirm: true }));
    assert.equal(rest.deleted + deletedBefore, whole.deleted);
    assert.equal(
      rest.alreadyGone,
      deletedBefore,
      'the keys it deleted are gone, not deleted twice',
    );
    assert.equal(await keysLeft(), whole.kept);
    assert.equal(await recorded(), whole.deleted);
  });

  it('SIGINT stops the CLI cleanup before its next batch: exit 130, what it deleted recorded', async () => {
    const child = startCli(['cleanup', '--yes', '--json'], {
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: BULK_REDIS_URL,
      TENANT_KEY_PREFIX: stores.prefix,
      BACKUP_DIR: stores.dir,
    });
    const done = collect(child);
    // Interrupted once it is deleting (its progress lines come every 5 s off a terminal: watch Redis).
    for (let deadline = Date.now() + 120_000; ;) {
      if ((await keysLeft()) < TENANTS + LATE - 2000) break;
      assert.ok(Date.now() < deadline, 'the CLI cleanup never started deleting');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    const failure = failureOf(result);
    assert.equal(failure.code, 'operation-stopped', JSON.stringify(failure));
    const deletedBefore = TENANTS + LATE - (await keysLeft());
    assert.ok(deletedBefore < whole.deleted, `${deletedBefore} deleted before the stop`);
    assert.equal(failure.deleted, deletedBefore, JSON.stringify(failure));
    assert.equal(await recorded(), deletedBefore);
    assert.match(
      result.stderr,
      /tenant-migrate: cleanup stopped on SIGINT after examining [\d,]+ keys; [\d,]+ deleted \(and recorded\); run it again for the rest\n$/,
    );
  });
  describe('a check', () => {
    /** The report of an uninterrupted check, but for how long it took. */
    let wholeCheck: Record<string, unknown>;
    const timeless = (operation: OperationBody) => ({ ...operation.result, durationMs: 0 });
    const keptTables = async (): Promise<number> =>
      (
        await stores.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'integrity_check_%'`,
        )
      ).rows[0].n;
    /** Starts a check and pauses it midway. */
    const pausedCheck = async (): Promise<OperationBody> => {
      const before = await keptTables();
      const started = await api.start({ kind: 'check' });
      await api.until(started.id, (o) => (o.progress?.done ?? 0) >= 6000, 120_000);
      assert.equal((await api.control(started.id, 'pause')).status, 202);
      const paused = await api.until(started.id);
      assert.equal(paused.status, 'paused', JSON.stringify(paused.error));
      const done = paused.progress?.done ?? 0;
      assert.ok(done > 0 && done < TENANTS + LATE, `paused after ${done} keys`);
      assert.equal(await keptTables(), before + 3, 'its staged side, invalid keys and scan state');
      return paused;
    };
    const resumeToTheEnd = async (id: string): Promise<void> => {
      assert.equal((await api.control(id, 'resume')).status, 202);
      const resumed = await api.until(id, undefined, 120_000);
      assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
      assert.equal(resumed.attempts, 2);
      assert.deepEqual(timeless(resumed), wholeCheck);
      assert.equal(await keptTables(), 0, 'the continuation took its tables');
    };

    before(async () => {
      await seedTenants(stores.redis, stores.prefix, TENANTS);
      const whole = await run({ kind: 'check' });
      wholeCheck = timeless(whole);
      assert.deepEqual(
        [wholeCheck.redisKeys, wholeCheck.different, wholeCheck.onlyInRedis],
        [TENANTS + LATE, DRIFTED, LATE],
        JSON.stringify(wholeCheck).slice(0, 500),
      );
    });

    it('pause keeps what it staged; resume reads on to the report an uninterrupted check gives', async () => {
      await resumeToTheEnd((await pausedCheck()).id);
    });

    it('a cursor another server answers for starts the scan again, and no key is counted twice', async () => {
      const paused = await pausedCheck();
      await stores.db.query(
        `UPDATE tenant_operations SET checkpoint = jsonb_set(checkpoint, '{server}', '"another-server"') WHERE id = $1`,
        [paused.id],
      );
      await resumeToTheEnd(paused.id);
    });

    it('the sweep removes a suspension no checkpoint names once an hour old, never a named or a younger one', async () => {
      const executor = stores.app.get(OperationExecutor, { strict: false });
      const named = await pausedCheck();
      const lost = await pausedCheck();
      assert.equal(await keptTables(), 6);
      const { rows } = await stores.db.query<{ id: string; parts: string }>(
        `SELECT id, checkpoint->>'parts' AS parts FROM tenant_operations WHERE id = ANY($1)`,
        [[named.id, lost.id]],
      );
      const parts = new Map(rows.map((row) => [row.id, row.parts]));
      // The second one's checkpoint is lost with its record; both suspensions are two hours old.
      await stores.db.query(`UPDATE tenant_operations SET checkpoint = NULL WHERE id = $1`, [
        lost.id,
      ]);
      assert.deepEqual(await executor.discardOrphans(), [], 'both are younger than an hour');
      for (const id of [named.id, lost.id])
        await stores.db.query(
          `UPDATE integrity_check_${parts.get(id)}_state SET suspended_at = now() - interval '2 hours'`,
        );
      assert.deepEqual(await executor.discardOrphans(), [`check: ${parts.get(lost.id)}`]);
      assert.equal(await keptTables(), 3, 'the named one stays');
      await resumeToTheEnd(named.id);
    });

    it('cancel of a paused check drops what it kept', async () => {
      const paused = await pausedCheck();
      assert.equal((await api.control(paused.id, 'cancel')).status, 202);
      assert.equal((await api.get(paused.id)).status, 'cancelled');
      assert.equal(await keptTables(), 0);
    });
  });
});
