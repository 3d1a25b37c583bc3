/**
 * The CLI's side of operations, and the CLI stopped by signals. Operations are started over
 * the admin API of an app in this process (its embedded worker runs them); the compiled CLI, a
 * child process in `client` mode, lists, shows, cancels, pauses and resumes them: what it
 * queues, the app's worker runs. Its errors are one line and the exit code the domain error
 * deserves, and with `--json` a document whose `code` is the admin API's problem `code`.
 * SIGTERM or SIGINT during migrate, check or validate stops the work at a batch boundary:
 * exit 143 or 130, the run `interrupted`, and the next `migrate` resumes it, every key once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import { BULK_REDIS_URL } from './support/test-stores.js';
import { bodyOf } from './support/body.js';
import { useOperationsApp } from './support/operations-app.js';
import type { Problem } from './support/problem.js';
import { cliEnv, collect, failureOf, runCli, startCli, type CliResult } from './support/cli.js';
import { OPERATIONS, type OperationBody } from './support/operations.js';

const TOKEN = 'tm-cli-operations-token-0123456789';
const TENANTS = 15_000;
/** Small enough batches that a migration still runs when a CLI started after it gets there. */
const SLOW_BATCH = 10;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const BIN = fileURLToPath(new URL('../../bin/tenant-migrate.mjs', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
/** The lines of stderr a command wrote itself: no progress line, no verbose log line. */
const ownLines = (result: CliResult): string[] =>
  lines(result.stderr).filter(
    (line) => !/^(migrating|dry run): scanned /.test(line) && !/\[verbose\]/.test(line),
  );
const count = (value: number) => value.toLocaleString('en-US');

interface RunRow {
  id: string;
  status: string;
  counts: { scanned: number; migrated: number; unchanged: number };
  checkpoint: unknown;
}

describe('CLI: operations, --json failures and signals', () => {
  const stores = useOperationsApp('cli_operations', { tenants: TENANTS, token: TOKEN });
  const { api } = stores;
  const env = (more: Record<string, string> = {}) => ({
    DATABASE_URL: stores.databaseUrl,
    REDIS_URL: BULK_REDIS_URL,
    TENANT_KEY_PREFIX: stores.prefix,
    ...more,
  });
  const cli = (args: string[], more?: Record<string, string>) => runCli(args, env(more));

  const tenantCount = async () =>
    Number((await stores.db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);
  const runs = async () =>
    (
      await stores.db.query<RunRow>(
        'SELECT id, status, counts, checkpoint FROM migration_runs ORDER BY started_at',
      )
    ).rows;
  const runOf = async (id: string) => (await runs()).find((r) => r.id === id);
  /** Waits until a running run has committed a batch (its checkpoint is recorded). */
  const checkpointed = async (timeoutMs = 30_000): Promise<RunRow> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = (await runs()).find((r) => r.status === 'running' && r.checkpoint !== null);
      if (run) return run;
      if (Date.now() > deadline) assert.fail(`no checkpointed run after ${timeoutMs} ms`);
      await sleep(20);
    }
  };
  /** Waits until the operation has committed a few batches, and still runs. */
  const midway = (id: string) =>
    api.until(id, (o) => o.status === 'running' && (o.progress?.done ?? 0) >= SLOW_BATCH * 4);
  /** The admin API's answer to GET /operations/:id, or to a control request. */
  const problemOf = async (method: 'get' | 'cancel' | 'pause' | 'resume', id: string) => {
    const res =
      method === 'get'
        ? await api.http().get(`${OPERATIONS}/${id}`).set(api.auth)
        : await api.control(id, method);
    return { status: res.status, problem: bodyOf<Problem>(res) };
  };
  const assertOk = (result: CliResult, label: string) => {
    assert.equal(result.code, 0, `${label}: ${result.stderr}`);
    assert.equal(result.stderr, '', label);
  };

  describe('operations', () => {
    it('list: a table newest first, filtered and paged; --json is the admin API page', async () => {
      const ids: string[] = [];
      for (const body of [{ kind: 'validate' }, { kind: 'check' }, { kind: 'migrate' }])
        ids.push((await api.until((await api.start(body)).id)).id);
      const [validate, , migrate] = await Promise.all(ids.map((id) => api.get(id)));

      const table = await cli(['operations', 'list']);
      assertOk(table, 'list');
      const [header, ...rows] = lines(table.stdout);
      assert.match(header, /^ID +KIND +STATUS +PROGRESS +ACTOR +CREATED$/);
      assert.equal(rows.length, 4, table.stdout);
      assert.equal(rows[3], 'Operations 1-3 of 3: succeeded 3');
      assert.deepEqual(
        rows.slice(0, 3).map((row) => row.split(/ +/).slice(0, 3)),
        [
          [ids[2], 'migrate', 'succeeded'],
          [ids[1], 'check', 'succeeded'],
          [ids[0], 'validate', 'succeeded'],
        ],
      );
      // The columns line up: every row's cells start where the header's do.
      for (const column of ['KIND', 'STATUS', 'PROGRESS', 'ACTOR', 'CREATED']) {
        const at = header.indexOf(column);
        for (const row of rows.slice(0, 3)) {
          assert.equal(row[at - 1], ' ', `${column}: ${row}`);
          assert.notEqual(row[at], ' ', `${column}: ${row}`);
        }
      }
      const progress = migrate.progress;
      assert.ok(progress);
      const cell = `${count(progress.done)}/${progress.total === null ? '?' : count(progress.total)}`;
      assert.match(rows[0], new RegExp(` ${cell} +admin-api +\\d{4}-`), rows[0]);
      assert.match(rows[2], new RegExp(` ${count(TENANTS)}/\\? +admin-api +\\d{4}-`), rows[2]);
      assert.equal(validate.progress?.total, null);

      const migrations = await cli(['operations', 'list', '--kind', 'migrate']);
      assertOk(migrations, 'list --kind');
      assert.equal(lines(migrations.stdout).length, 3);
      assert.ok(migrations.stdout.includes(ids[2]));
      const none = await cli(['operations', 'list', '--status', 'failed']);
      assertOk(none, 'list --status');
      assert.equal(none.stdout, 'No operations recorded (that match).\n');

      const json = await cli(['operations', 'list', '--limit', '2', '--offset', '1', '--json']);
      assertOk(json, 'list --json');
      const page = JSON.parse(json.stdout) as { operations: OperationBody[] };
      const res = await api.http().get(`${OPERATIONS}?limit=2&offset=1`).set(api.auth);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(page, bodyOf<unknown>(res));
      assert.deepEqual(
        page.operations.map((o) => o.id),
        [ids[1], ids[0]],
      );
    });

    it('show: status, progress, run and result; --json is the operation as the admin API answers it', async () => {
      const done = await api.until((await api.start({ kind: 'migrate', batchSize: 1000 })).id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const shown = await cli(['operations', 'show', done.id]);
      assertOk(shown, 'show');
      const block = lines(shown.stdout);
      assert.equal(block[0], `Operation ${done.id}`);
      for (const expected of [
        '  kind      migrate',
        '  status    succeeded',
        '  actor     admin-api',
        '  params    batchSize=1000',
        `  run       ${done.runId ?? ''}`,
        '  attempts  1',
      ])
        assert.ok(block.includes(expected), `${expected}\n${shown.stdout}`);
      assert.match(shown.stdout, /^ {2}progress +migrating 15,000\/15,000/m);
      assert.match(shown.stdout, /^ {2}result +.*status completed.*balanced true/m);
      assert.match(shown.stdout, /^ {2}counts +.*\bscanned 15,000\b/m);
      assert.match(shown.stdout, /^ {2}counts +.*\bmigrated 15,000\b/m);
      assert.doesNotMatch(shown.stdout, /^ {2}error/m);

      const json = await cli(['operations', 'show', done.id, '--json']);
      assertOk(json, 'show --json');
      const res = await api.http().get(`${OPERATIONS}/${done.id}`).set(api.auth);
      assert.deepEqual(JSON.parse(json.stdout), bodyOf<unknown>(res));
    });

    it('pause and resume from the CLI: the worker continues the same run, every key once', async () => {
      const started = await api.start({ kind: 'migrate', batchSize: SLOW_BATCH });
      await midway(started.id);
      const pausing = await cli(['operations', 'pause', started.id]);
      assertOk(pausing, 'pause');
      assert.equal(
        pausing.stdout,
        `Operation ${started.id} (migrate) is pausing: it stops at its next batch boundary and keeps its checkpoint; ` +
          `\`operations resume ${started.id}\` continues it.\n`,
      );
      const paused = await api.until(started.id);
      assert.equal(paused.status, 'paused');
      const runId = paused.runId ?? '';
      assert.equal((await runOf(runId))?.status, 'interrupted');
      const partial = await tenantCount();
      assert.ok(partial > 0 && partial < TENANTS, `${partial} of ${TENANTS}`);

      // Paused, it cannot be paused again: exit 2, and the admin API's code for it.
      const again = await cli(['operations', 'pause', started.id, '--json']);
      assert.equal(again.code, 2, again.stderr);
      assert.equal(ownLines(again).length, 1, again.stderr);
      const refused = failureOf(again);
      assert.equal(refused.code, 'operation-state');
      assert.match(refused.message, /has status paused: it cannot be paused/);
      const http = await problemOf('pause', started.id);
      assert.equal(http.status, 409);
      assert.equal(http.problem.code, refused.code);
      assert.equal(http.problem.detail, refused.message);

      const resumed = await cli(['operations', 'resume', started.id, '--json']);
      assertOk(resumed, 'resume');
      const queued = JSON.parse(resumed.stdout) as OperationBody;
      assert.equal(queued.id, started.id);
      assert.equal(queued.status, 'queued');
      const done = await api.until(
        started.id,
        (o) => o.status === 'succeeded' || o.status === 'failed',
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(done.attempts, 2);
      assert.equal(done.runId, runId, 'the same run continued');
      const run = await runOf(runId);
      assert.equal(run?.status, 'completed');
      assert.equal(run.counts.scanned, TENANTS);
      assert.equal(run.counts.migrated, TENANTS);
      assert.equal(await tenantCount(), TENANTS);
    });

    it('cancel stops a running migration at its next batch; what its status refuses exits 2 with operation-state', async () => {
      const started = await api.start({ kind: 'migrate', batchSize: SLOW_BATCH });
      await midway(started.id);
      const cancelling = await cli(['operations', 'cancel', started.id]);
      assertOk(cancelling, 'cancel');
      assert.equal(
        cancelling.stdout,
        `Operation ${started.id} (migrate) is cancelling: it stops at its next batch boundary, keeping what it committed.\n`,
      );
      const cancelled = await api.until(started.id);
      assert.equal(cancelled.status, 'cancelled');
      const run = await runOf(cancelled.runId ?? '');
      assert.equal(run?.status, 'cancelled');
      assert.equal(run.counts.migrated, await tenantCount());

      for (const [verb, message] of [
        ['cancel', /has status cancelled: it cannot be cancelled/],
        ['resume', /has status cancelled: it cannot be resumed/],
        ['pause', /has status cancelled: it cannot be paused/],
      ] as const) {
        const human = await cli(['operations', verb, started.id]);
        assert.equal(human.code, 2, `${verb}: ${human.stderr}`);
        assert.equal(human.stdout, '');
        assert.equal(lines(human.stderr).length, 1, human.stderr);
        assert.match(
          human.stderr,
          /^tenant-migrate: migrate operation [0-9a-f-]{36} has status cancelled/,
        );
        const json = failureOf(await cli(['operations', verb, started.id, '--json']));
        assert.equal(json.code, 'operation-state', verb);
        assert.match(json.message, message);
      }
      assert.equal((await api.get(started.id)).status, 'cancelled', 'refusals change nothing');
    });

    it('resume while another operation holds the tenants tables exits 3 with operation-conflict naming it; once it is cancelled, the resume runs', async () => {
      // A migration that failed: the migration lock was held elsewhere (as `migrate` does).
      const holder = new pg.Client({ connectionString: stores.databaseUrl });
      await holder.connect();
      let failed: OperationBody;
      try {
        await holder.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, ['tenants']);
        failed = await api.until((await api.start({ kind: 'migrate' })).id);
        // The CLI's own migrate meets the same lock: the same code, as a --json document.
        const locked = await cli(['migrate', '--json']);
        assert.equal(locked.code, 3, locked.stderr);
        assert.equal(ownLines(locked).length, 1, locked.stderr);
        const failure = failureOf(locked);
        assert.equal(failure.code, 'migration-locked');
        assert.match(
          failure.message,
          /migrate cannot start: a migration, .* is running on tenants/,
        );
        assert.equal(failed.error?.code, failure.code, 'the code the operation recorded');
      } finally {
        await holder.end();
      }
      assert.equal(failed.status, 'failed');

      const holding = await api.start({ kind: 'migrate', batchSize: SLOW_BATCH });
      await midway(holding.id);
      assertOk(await cli(['operations', 'pause', holding.id]), 'pause');
      assert.equal((await api.until(holding.id)).status, 'paused');

      const conflict = await cli(['operations', 'resume', failed.id, '--json']);
      assert.equal(conflict.code, 3, conflict.stderr);
      assert.equal(ownLines(conflict).length, 1, conflict.stderr);
      const refusal = failureOf(conflict);
      assert.equal(refusal.code, 'operation-conflict');
      assert.equal(refusal.operationId, holding.id);
      assert.match(refusal.message, new RegExp(`operation ${holding.id} holds the tenants tables`));
      const http = await problemOf('resume', failed.id);
      assert.equal(http.status, 409);
      assert.equal(http.problem.code, refusal.code);
      assert.equal(http.problem.operationId, refusal.operationId);
      assert.equal((await api.get(failed.id)).status, 'failed', 'the refusal changed nothing');

      const cancel = await cli(['operations', 'cancel', holding.id]);
      assertOk(cancel, 'cancel');
      assert.equal(cancel.stdout, `Operation ${holding.id} (migrate) is cancelled.\n`);
      const resume = await cli(['operations', 'resume', failed.id]);
      assertOk(resume, 'resume');
      assert.match(resume.stdout, /is queued again: a worker .* runs it; the CLI runs none\.\n$/);
      const done = await api.until(
        failed.id,
        (o) => o.status === 'succeeded' || o.status === 'failed',
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(await tenantCount(), TENANTS);
    });

    it('bad arguments exit 2 with one line; an unknown id exits 2 with the code of the admin API 404', async () => {
      const cases = [
        [
          ['operations'],
          /^operations needs a subcommand: start <kind>, list, show <id>, follow <id>/,
        ],
        [
          ['operations', 'list', '--kind', 'launch'],
          /^--kind must be one of migrate, dry-run, .*got "launch"$/,
        ],
        [
          ['operations', 'list', '--status', 'done'],
          /^--status must be one of queued, .*got "done"$/,
        ],
        [['operations', 'list', '--limit', '0'], /^--limit must be 1-1000, got "0"$/],
        [['operations', 'list', '--limit', '1001'], /^--limit must be 1-1000, got "1001"$/],
        [
          ['operations', 'list', '--offset', '-1'],
          /^--offset must be a whole number from 0, got "-1"$/,
        ],
        [['operations', 'list', 'extra'], /^unexpected argument "extra" for operations list/],
        [['operations', 'show', 'not-a-uuid'], /^"not-a-uuid" is not an operation id \(a UUID/],
        [['operations', 'cancel', '1'], /^"1" is not an operation id/],
        [
          ['operations', 'show', UNKNOWN, 'extra'],
          /^unexpected argument "extra" for operations show/,
        ],
      ] as const;
      // Side by side: each case is a CLI process of its own.
      await Promise.all(
        cases.map(async ([args, line], i) => {
          const label = args.join(' ');
          const human = await cli([...args]);
          assert.equal(human.code, 2, `${label}: ${human.stderr}`);
          assert.equal(human.stdout, '', label);
          assert.equal(lines(human.stderr).length, 1, `${label}: ${human.stderr}`);
          assert.ok(human.stderr.startsWith('tenant-migrate: '), human.stderr);
          assert.match(human.stderr.slice('tenant-migrate: '.length).trimEnd(), line, label);
          // A missing subcommand, a flag's parser (before the command runs), an argument's check:
          // each path a usage error takes has the same code with --json.
          if ([0, 1, 7].includes(i))
            assert.equal(failureOf(await cli([...args, '--json'])).code, 'invalid-option', label);
        }),
      );
      const missing = await cli(['operations', 'show']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /missing required argument 'id'/);

      const http = await problemOf('get', UNKNOWN);
      assert.equal(http.status, 404);
      assert.equal(http.problem.code, 'operation-not-found');
      await Promise.all(
        ['show', 'cancel', 'pause', 'resume'].map(async (verb) => {
          const human = await cli(['operations', verb, UNKNOWN]);
          assert.equal(human.code, 2, `${verb}: ${human.stderr}`);
          assert.equal(human.stdout, '');
          assert.equal(human.stderr, `tenant-migrate: no operation ${UNKNOWN}\n`);
          const failure = failureOf(await cli(['operations', verb, UNKNOWN, '--json']));
          assert.deepEqual(failure, {
            code: http.problem.code,
            message: http.problem.detail,
            exitCode: 2,
          });
        }),
      );

      // PostgreSQL only: an unreachable one is exit 3, Redis is never needed.
      const down = await runCli(['operations', 'list', '--json'], {
        DATABASE_URL: 'postgres://postgres:secret-pw@127.0.0.1:1/none',
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      assert.equal(down.code, 3, down.stderr);
      const unreachable = failureOf(down);
      assert.equal(unreachable.code, 'store-unavailable');
      assert.match(
        unreachable.message,
        /^cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@/,
      );
      assert.ok(!down.stdout.includes('secret-pw') && !down.stderr.includes('secret-pw'));
    });
  });

  describe('signals', () => {
    it('SIGTERM during migrate: exit 143, one line naming the run, the run interrupted; the next migrate resumes it, every key once', async () => {
      const child = startCli(['migrate', '--batch-size', '20'], env());
      const done = collect(child);
      const running = await checkpointed();
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.code, 143, result.stderr);
      assert.equal(result.stdout, '', 'no summary of a stopped migration');
      const own = ownLines(result);
      assert.equal(own.length, 1, result.stderr);
      const [, runId, scanned] =
        /^tenant-migrate: run ([0-9a-f-]{36}) stopped on SIGTERM after ([\d,]+) keys; it is interrupted: `migrate` \(or `resume \1`\) continues it from its last checkpoint$/.exec(
          own[0],
        ) ?? assert.fail(own[0]);
      assert.equal(runId, running.id);
      const stopped = await runOf(runId);
      assert.equal(stopped?.status, 'interrupted');
      assert.equal(count(stopped.counts.scanned), scanned);
      const partial = await tenantCount();
      assert.ok(partial > 0 && partial < TENANTS, `${partial} of ${TENANTS}`);
      assert.equal(stopped.counts.migrated, partial, 'what it committed is what it recorded');

      const resumed = await cli(['migrate', '--json']);
      assert.equal(resumed.code, 0, resumed.stderr);
      const result2 = JSON.parse(resumed.stdout) as {
        runId: string;
        resumed: boolean;
        counts: { scanned: number; migrated: number };
      };
      assert.equal(result2.resumed, true);
      assert.equal(result2.runId, runId);
      assert.equal(await tenantCount(), TENANTS);
      const run = await runOf(runId);
      assert.equal(run?.status, 'completed');
      assert.equal(run.counts.scanned, TENANTS, 'every key scanned once across both processes');
      assert.equal(run.counts.migrated, TENANTS);
      assert.equal((await runs()).length, 1, 'no second run');
    });

    /** Starts `args` with batches of 20 and the verbose log, and waits for its third batch. */
    const startScan = async (
      args: string[],
    ): Promise<{ child: ChildProcess; done: Promise<CliResult> }> => {
      const child = startCli([...args, '--verbose'], env({ MIGRATION_BATCH_SIZE: '20' }));
      const done = collect(child);
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no third batch: ${stderr}`)), 30_000);
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/: batch 3: /.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      return { child, done };
    };

    it('SIGINT during check --json: exit 130, one line, and the failure document operation-stopped', async () => {
      const { child, done } = await startScan(['check', '--json']);
      child.kill('SIGINT');
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      const own = ownLines(result);
      assert.equal(own.length, 1, result.stderr);
      assert.match(
        own[0],
        /^tenant-migrate: check stopped on SIGINT after reading [\d,]+ keys; it changed nothing$/,
      );
      const failure = failureOf(result);
      assert.equal(failure.code, 'operation-stopped');
      assert.equal(failure.signal, 'SIGINT');
      assert.match(result.stderr, /check: SIGINT: stopping at the next batch boundary/);
      assert.match(result.stderr, /finished in \d+ ms, exit code 130 \(stopped by SIGINT\)/);
    });

    it('validate: one Ctrl-C heard twice (from the terminal and a launcher) still stops at a batch boundary, exit 130', async () => {
      const { child, done } = await startScan(['validate']);
      child.kill('SIGINT');
      child.kill('SIGINT');
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(result.stdout, '');
      const own = ownLines(result);
      assert.equal(own.length, 1, result.stderr);
      assert.match(
        own[0],
        /^tenant-migrate: validate stopped on SIGINT after validating [\d,]+ keys; it wrote nothing$/,
      );
    });

    it('through bin/tenant-migrate.mjs: SIGINT to the launcher reaches the CLI, which stops its run; the launcher exits 130', async () => {
      const launcher = spawn(BIN, ['migrate', '--batch-size', '20'], {
        env: cliEnv(env()),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const done = collect(launcher);
      const running = await checkpointed();
      launcher.kill('SIGINT');
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(result.signal, null);
      const own = ownLines(result);
      assert.equal(own.length, 1, result.stderr);
      assert.match(
        own[0],
        new RegExp(`^tenant-migrate: run ${running.id} stopped on SIGINT after`),
      );
      assert.equal((await runOf(running.id))?.status, 'interrupted');
      const resumed = await cli(['migrate']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(await tenantCount(), TENANTS);
      assert.equal((await runOf(running.id))?.counts.scanned, TENANTS);
    });
  });
});
