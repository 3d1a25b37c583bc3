/**
 * Operations over the admin API, in this process's app with its embedded worker: a migration
 * followed over server-sent events to its result (and a stream resumed with Last-Event-ID);
 * cancel in the middle, then a new run completes the table exactly; pause and resume give what
 * an uninterrupted run gives; exclusive kinds refuse a second one (409 naming the holder);
 * control requests a status or kind does not allow are 409s; the list pages and filters with
 * totals; the audit log pages; `?action=migrate` is an operation too.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import { deleteByPattern } from './support/test-stores.js';
import { assertProblem } from './support/problem.js';
import { bodyOf } from './support/body.js';
import { useOperationsApp } from './support/operations-app.js';
import { OperationExecutor } from '../libs/tenant-migration/src/operations/operation-executor.js';
import { OPERATIONS, seedTenants, type OperationBody } from './support/operations.js';

const TOKEN = 'tm-operations-test-token-0123456789';
/** Enough batches of 25 that a control request lands in the middle of a run. */
const TENANTS = 12_000;
const BATCH = 25;

describe('operations over the admin API (embedded worker)', () => {
  const stores = useOperationsApp('operations', { tenants: TENANTS, token: TOKEN });
  const { api } = stores;

  const tenantCount = async () =>
    Number((await stores.db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);
  const runOf = async (runId: string) =>
    (
      await stores.db.query<{ status: string; counts: { scanned: number; migrated: number } }>(
        'SELECT status, counts FROM migration_runs WHERE id = $1',
        [runId],
      )
    ).rows[0];
  /** Waits until the running operation has committed a few batches. */
  const midway = (id: string) =>
    api.until(id, (o) => o.status !== 'queued' && (o.progress?.done ?? 0) >= BATCH * 4);

  it('a migration followed over SSE: status, run and progress events, then a result equal to the table', async () => {
    const started = await api.start({ kind: 'migrate', batchSize: 500 });
    assert.equal(started.status, 'queued');
    assert.equal(started.actor, 'admin-api');
    const { res, events } = await api.events(started.id);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const kinds = events.map((e) => e.event);
    assert.deepEqual(kinds.slice(0, 2), ['status', 'status']);
    assert.deepEqual(
      events.slice(0, 2).map((e) => e.data.status),
      ['queued', 'running'],
    );
    assert.ok(kinds.includes('run'), kinds.join());
    assert.equal(kinds.at(-1), 'result');
    // Ids increase, so a client can resume after any of them.
    const ids = events.map((e) => Number(e.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    const result = events.at(-1)?.data as {
      status: string;
      result: { runId: string; counts: { scanned: number; migrated: number }; balanced: boolean };
    };
    assert.equal(result.status, 'succeeded');
    assert.equal(result.result.counts.scanned, TENANTS);
    assert.equal(result.result.counts.migrated, TENANTS);
    assert.equal(result.result.balanced, true);
    assert.equal(await tenantCount(), TENANTS);
    const done = await api.get(started.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.runId, result.result.runId);
    assert.equal((await runOf(done.runId ?? '')).status, 'completed');

    // The run's answers never carry its fingerprint secret (it keys the fingerprints of the
    // keys a resumed run passes over: whoever knows it could name keys the run would skip).
    const stored = await stores.db.query<{ secret: string }>(
      `SELECT checkpoint->>'secret' AS secret FROM migration_runs WHERE id = $1`,
      [done.runId],
    );
    const secret = stored.rows[0].secret;
    assert.match(secret, /^[0-9a-f]{16,}$/);
    for (const path of [
      `/api/admin/migration/runs/${done.runId}`,
      '/api/admin/migration?action=status',
      '/api/admin/migration?action=runs',
    ]) {
      const res = await api.http().get(path).set(api.auth);
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes(secret), `${path} shows the run's secret`);
    }

    // Reconnecting after the first event hears the rest and nothing twice; after the last, 204.
    const rest = await api.events(started.id, events[0].id);
    assert.deepEqual(
      rest.events.map((e) => e.id),
      events.slice(1).map((e) => e.id),
    );
    const over = await api.events(started.id, events.at(-1)?.id);
    assert.equal(over.res.status, 204);
  });

  it('cancel in the middle stops after the batch and records it; a new run then completes the table exactly', async () => {
    const started = await api.start({ kind: 'migrate', batchSize: BATCH });
    await midway(started.id);
    const cancelling = await api.control(started.id, 'cancel');
    assert.equal(cancelling.status, 202, cancelling.text);
    assert.ok(['cancelling', 'cancelled'].includes(bodyOf<OperationBody>(cancelling).status));
    const cancelled = await api.until(started.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.error?.code, 'operation-stopped');
    const run = await runOf(cancelled.runId ?? '');
    assert.equal(run.status, 'cancelled');
    // What it did is recorded, and is what the table holds.
    const partial = await tenantCount();
    assert.ok(partial > 0 && partial < TENANTS, `${partial} of ${TENANTS}`);
    assert.equal(run.counts.migrated, partial);

    const again = await api.until((await api.start({ kind: 'migrate', batchSize: 2000 })).id);
    assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
    assert.notEqual(again.runId, cancelled.runId, 'a cancelled run is not resumed');
    assert.equal(await tenantCount(), TENANTS);
    const counts = (
      again.result as { counts: { scanned: number; migrated: number; unchanged: number } }
    ).counts;
    assert.equal(counts.scanned, TENANTS);
    assert.equal(counts.migrated + counts.unchanged, TENANTS);
  });

  it('pause keeps the checkpoint, resume continues the same run exactly: every key once', async () => {
    const started = await api.start({ kind: 'migrate', batchSize: BATCH });
    await midway(started.id);
    const pausing = await api.control(started.id, 'pause');
    assert.equal(pausing.status, 202, pausing.text);
    const paused = await api.until(started.id);
    assert.equal(paused.status, 'paused');
    const runId = paused.runId ?? '';
    assert.equal((await runOf(runId)).status, 'interrupted');
    const before = await tenantCount();
    assert.ok(before > 0 && before < TENANTS, `${before} of ${TENANTS}`);
    // A paused migration still holds the tenants tables.
    const second = await api.http().post(OPERATIONS).set(api.auth).send({ kind: 'migrate' });
    const refusal = assertProblem(second, 409, 'operation-conflict');
    assert.equal(refusal.operationId, started.id);

    const resumed = await api.control(started.id, 'resume');
    assert.equal(resumed.status, 202, resumed.text);
    const done = await api.until(started.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 2);
    assert.equal(done.runId, runId, 'the same run continued');
    const run = await runOf(runId);
    assert.equal(run.status, 'completed');
    // Exactly what one uninterrupted run accounts for: every key once, none twice.
    assert.equal(run.counts.scanned, TENANTS);
    assert.equal(run.counts.migrated, TENANTS);
    assert.equal(await tenantCount(), TENANTS);
    const check = await api.until((await api.start({ kind: 'check' })).id);
    assert.equal(check.status, 'succeeded');
    assert.equal((check.result as { consistent: boolean }).consistent, true);
  });

  describe('a Redis backup paused, stopped or cancelled midway', () => {
    /** Every entry line of a backup file, sorted, with its checksum and key count. */
    const contentOf = async (path: string) => {
      const lines = gunzipSync(await readFile(path))
        .toString('utf8')
        .trim()
        .split('\n');
      const header = JSON.parse(lines[0]) as { id: string };
      const trailer = JSON.parse(lines[lines.length - 1]) as { trailer: { entries: number } };
      const entries = lines.slice(1, -1);
      const keys = new Set(entries.map((line) => (JSON.parse(line) as { k: string }).k));
      return { header, trailer: trailer.trailer, entries: entries.sort(), keys: keys.size };
    };
    let whole: Awaited<ReturnType<typeof contentOf>>;

    before(async () => {
      // More keys for these cases, so a backup has batches to stop between.
      await seedTenants(stores.redis, stores.prefix, 60_000, 'extra');
    });
    after(async () => {
      await deleteByPattern(stores.redis, `${stores.prefix}extra*`);
    });
    beforeEach(async () => {
      await rm(stores.dir, { recursive: true, force: true });
      await stores.db.query('TRUNCATE backups CASCADE');
      const done = await api.until((await api.start({ kind: 'backup' })).id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      whole = await contentOf((done.result as { path: string }).path);
      assert.equal(whole.trailer.entries, TENANTS + 60_000);
    });

    /** Starts a backup and pauses it midway; returns it and the partial file it keeps. */
    const pausedBackup = async () => {
      const started = await api.start({ kind: 'backup' });
      await api.until(started.id, (o) => (o.progress?.done ?? 0) >= 5_000);
      assert.equal((await api.control(started.id, 'pause')).status, 202);
      const paused = await api.until(started.id);
      assert.equal(paused.status, 'paused', JSON.stringify(paused.error));
      const partials = (await readdir(stores.dir)).filter((name) => name.endsWith('.partial'));
      assert.equal(partials.length, 1, `one partial file: ${partials.join(', ')}`);
      const done = paused.progress?.done ?? 0;
      assert.ok(done > 0 && done < TENANTS + 60_000, `paused after ${done} keys`);
      return { paused, partial: join(stores.dir, partials[0]) };
    };

    /** Resumes it and checks that the backup it ends with is the uninterrupted one's, key for key. */
    const resumeToTheEnd = async (id: string, partial: string) => {
      assert.equal((await api.control(id, 'resume')).status, 202);
      const resumed = await api.until(id);
      assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
      assert.equal(resumed.attempts, 2);
      const result = resumed.result as { id: string; path: string; entryCount: number };
      assert.equal(result.path, partial.replace(/\.partial$/, ''), 'the same file, continued');
      const content = await contentOf(result.path);
      assert.equal(content.header.id, result.id);
      assert.equal(content.keys, content.trailer.entries, 'every key once');
      assert.deepEqual(content.entries, whole.entries);
      const verified = await api.until(
        (await api.start({ kind: 'backup-verify', backup: result.id })).id,
      );
      assert.equal((verified.result as { ok: boolean }).ok, true, JSON.stringify(verified.result));
      const { rows } = await stores.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM backups',
      );
      assert.equal(rows[0].n, 2, 'the uninterrupted backup and the resumed one');
    };

    it('pause keeps the partial file and its checkpoint; resume continues it to the backup an uninterrupted run gives', async () => {
      const { paused, partial } = await pausedBackup();
      const { rows } = await stores.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM backups',
      );
      assert.equal(rows[0].n, 1, 'the paused backup is not recorded yet');
      await resumeToTheEnd(paused.id, partial);
    });

    it('resume cuts off what a later execution appended before it died, and a scan that must start again writes no key twice', async () => {
      const { paused, partial } = await pausedBackup();
      // An execution that resumed it and died mid-write leaves a broken gzip member behind...
      await appendFile(partial, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]));
      // ...and a cursor another server issued makes the scan start again from the beginning.
      await stores.db.query(
        `UPDATE tenant_operations SET checkpoint = jsonb_set(checkpoint, '{server}', '"another-server"') WHERE id = $1`,
        [paused.id],
      );
      await resumeToTheEnd(paused.id, partial);
    });

    it('the sweep removes a partial file no suspended backup continues once untouched for an hour, never a paused one', async () => {
      const { paused, partial } = await pausedBackup();
      const stray = join(stores.dir, 'redis-stray.ndjson.gz.partial');
      const fresh = join(stores.dir, 'redis-fresh.ndjson.gz.partial');
      await writeFile(stray, 'left by a backup whose process died');
      await writeFile(fresh, 'being written');
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      for (const path of [stray, partial]) await utimes(path, twoHoursAgo, twoHoursAgo);
      const executor = stores.app.get(OperationExecutor, { strict: false });
      assert.deepEqual(await executor.discardOrphans(), [`backup: ${stray}`]);
      assert.deepEqual(
        (await readdir(stores.dir)).filter((name) => name.endsWith('.partial')).sort(),
        [basename(fresh), basename(partial)].sort(),
      );
      await rm(fresh);
      await resumeToTheEnd(paused.id, partial);
    });

    it('cancel of a paused backup removes its partial file and records nothing', async () => {
      const { paused } = await pausedBackup();
      assert.equal((await api.control(paused.id, 'cancel')).status, 202);
      assert.equal((await api.get(paused.id)).status, 'cancelled');
      assert.deepEqual(
        (await readdir(stores.dir)).filter((name) => name.endsWith('.partial')),
        [],
        'no partial file is left',
      );
      const { rows } = await stores.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM backups',
      );
      assert.equal(rows[0].n, 1, 'only the uninterrupted backup');
    });
  });

  it('a second exclusive operation is a 409 problem naming the running one; a non-exclusive one runs beside it', async () => {
    const first = await api.start({ kind: 'migrate', batchSize: BATCH });
    const res = await api
      .http()
      .post(OPERATIONS)
      .set(api.auth)
      .send({ kind: 'cleanup', confirm: true });
    const problem = assertProblem(res, 409, 'operation-conflict', /holds the tenants tables/);
    assert.equal(problem.operationId, first.id);
    const legacyRes = await api
      .http()
      .post('/api/admin/migration')
      .set(api.auth)
      .send({ action: 'migrate' });
    assert.equal(assertProblem(legacyRes, 409, 'operation-conflict').operationId, first.id);
    const beside = await api.start({ kind: 'validate' });
    assert.equal((await api.control(first.id, 'cancel')).status, 202);
    assert.equal((await api.until(first.id)).status, 'cancelled');
    const validate = await api.until(beside.id);
    assert.equal(validate.status, 'succeeded');
    assert.equal((validate.result as { scanned: number }).scanned, TENANTS);
  });

  it('control requests its status or kind does not allow are 409s; an unknown operation is a 404', async () => {
    const report = await api.until((await api.start({ kind: 'report', limit: 10 })).id);
    assert.equal(report.status, 'succeeded');
    assertProblem(
      await api.control(report.id, 'cancel'),
      409,
      'operation-state',
      /has status succeeded/,
    );
    assertProblem(await api.control(report.id, 'resume'), 409, 'operation-state');
    assertProblem(
      await api.control(report.id, 'pause'),
      409,
      'operation-state',
      /cannot stop midway/,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    assertProblem(await api.control(unknown, 'cancel'), 404, 'operation-not-found');
    assertProblem(
      await api.http().get(`${OPERATIONS}/${unknown}`).set(api.auth),
      404,
      'operation-not-found',
    );
    assertProblem(
      await api.http().get(`${OPERATIONS}/${unknown}/events`).set(api.auth),
      404,
      'operation-not-found',
    );
    assertProblem(
      await api
        .http()
        .get(`${OPERATIONS}/${report.id}/events`)
        .set(api.auth)
        .set('Last-Event-ID', 'x'),
      400,
    );
  });

  it('a request its kind does not take is a 400 and records nothing', async () => {
    const bad = async (body: Record<string, unknown>, detail: RegExp) => {
      const res = await api.http().post(OPERATIONS).set(api.auth).send(body);
      assertProblem(res, 400, undefined, detail, JSON.stringify(body));
    };
    await bad({ kind: 'launch' }, /kind must be one of/);
    await bad(
      { kind: 'check', batchSize: 10 },
      /property batchSize cannot be used with kind check/,
    );
    await bad({ kind: 'migrate', batchSize: 0 }, /batchSize must not be less than 1/);
    await bad({ kind: 'restore' }, /needs the backup's id/);
    await bad({ kind: 'restore', backup: 'not-an-id' }, /backup must be the id/);
    await bad(
      { kind: 'restore', backup: '00000000-0000-4000-8000-000000000000', overwrite: true },
      /its own confirmation/,
    );
    await bad({ kind: 'migrate', shell: 'rm -rf /' }, /property shell should not exist/);
    const { rows } = await stores.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tenant_operations',
    );
    assert.equal(rows[0].n, 0);
  });

  it('the list pages newest first, filters by kind and status, and counts every status', async () => {
    const ids: string[] = [];
    for (const kind of ['validate', 'report', 'validate'])
      ids.push((await api.until((await api.start({ kind })).id)).id);
    const all = await api.http().get(`${OPERATIONS}?limit=2`).set(api.auth);
    assert.equal(all.status, 200, all.text);
    const page = bodyOf<{
      operations: OperationBody[];
      total: number;
      byStatus: Record<string, number>;
    }>(all);
    assert.equal(page.total, 3);
    assert.deepEqual(page.byStatus, { succeeded: 3 });
    assert.deepEqual(
      page.operations.map((o) => o.id),
      [ids[2], ids[1]],
    );
    const validates = bodyOf<{ total: number; operations: OperationBody[] }>(
      await api.http().get(`${OPERATIONS}?kind=validate&status=succeeded&offset=1`).set(api.auth),
    );
    assert.equal(validates.total, 2);
    assert.deepEqual(
      validates.operations.map((o) => o.id),
      [ids[0]],
    );
    assertProblem(
      await api.http().get(`${OPERATIONS}?status=done`).set(api.auth),
      400,
      undefined,
      /status must be one of/,
    );
  });

  it('the audit log pages newest first with its total, naming the actor', async () => {
    await api.until((await api.start({ kind: 'backup' })).id);
    await api.until((await api.start({ kind: 'backup-postgres' })).id);
    const res = await api.http().get('/api/admin/audit?limit=1').set(api.auth);
    assert.equal(res.status, 200, res.text);
    const page = bodyOf<{ entries: { action: string; actor: string }[]; total: number }>(res);
    assert.ok(page.total >= 2);
    assert.equal(page.entries.length, 1);
    assert.equal(page.entries[0].action, 'backup.postgres');
    assert.equal(page.entries[0].actor, 'admin-api');
  });

  it('`?action=migrate` is an operation: 202 with the run, its Location, and the operation id', async () => {
    const res = await api
      .http()
      .post('/api/admin/migration')
      .set(api.auth)
      .send({ action: 'migrate' });
    assert.equal(res.status, 202, res.text);
    const body = bodyOf<{ runId: string; operationId: string; status: string; resumed: boolean }>(
      res,
    );
    assert.equal(body.status, 'running');
    assert.equal(res.headers.location, `/api/admin/migration/runs/${body.runId}`);
    const operation = await api.until(body.operationId);
    assert.equal(operation.status, 'succeeded');
    assert.equal(operation.runId, body.runId);
  });
});
