/**
 * `operations start` and `operations follow`: the CLI starts any operation as the admin API
 * does (recorded, queued; the embedded worker of an app in this process runs it) and follows it
 * live to its end, its exit code saying how it ended. Flags the kind does not take, and values
 * the admin API's rules refuse, are usage errors in flag terms.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BULK_REDIS_URL } from './support/test-stores.js';
import { collect, failureOf, runCli, startCli, type CliResult } from './support/cli.js';
import type { OperationBody } from './support/operations.js';
import { useOperationsApp } from './support/operations-app.js';

const TOKEN = 'tm-cli-operations-start-token-0123456789';
const TENANTS = 12_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('CLI: operations start and follow', () => {
  const stores = useOperationsApp('cli_operations_start', { tenants: TENANTS, token: TOKEN });
  const { api } = stores;
  const env = () => ({
    DATABASE_URL: stores.databaseUrl,
    REDIS_URL: BULK_REDIS_URL,
    TENANT_KEY_PREFIX: stores.prefix,
  });
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(args, { ...env(), PROGRESS_INTERVAL_MS: '100' });
  const documentOf = (result: CliResult): OperationBody => {
    assert.ok(result.stdout.endsWith('}\n'), result.stdout);
    return JSON.parse(result.stdout) as OperationBody;
  };
  const tenantCount = async () =>
    (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0].n;

  it('start --follow runs a migration on a worker and follows it live: progress on stderr, the operation on stdout, exit 0', async () => {
    const result = await cli([
      'operations',
      'start',
      'migrate',
      '--batch-size',
      '50',
      '--follow',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const operation = documentOf(result);
    assert.equal(operation.kind, 'migrate');
    assert.equal(operation.status, 'succeeded');
    assert.deepEqual(operation.params, { batchSize: 50 });
    assert.match(String(operation.actor), /^cli:/);
    assert.equal((operation.result as { counts: { migrated: number } }).counts.migrated, TENANTS);
    assert.equal(await tenantCount(), TENANTS);
    const progress = result.stderr.split('\n').filter((line) => line !== '');
    assert.ok(progress.length > 0, 'progress lines');
    for (const line of progress) assert.match(line, /^migrating: [\d,]+(\/[\d,]+)? keys \(/);
    // What the admin API lists is what the CLI started.
    assert.equal((await api.get(operation.id)).status, 'succeeded');
  });

  it('start without --follow queues it and says so; follow <id> waits for it to end', async () => {
    const started = await cli(['operations', 'start', 'check', '--limit', '5']);
    assert.equal(started.code, 0, started.stderr);
    const id = /^Operation (\S+) \(check\) is queued: /.exec(started.stdout)?.[1] ?? '';
    assert.match(id, UUID, started.stdout);
    assert.match(started.stdout, new RegExp(`\`operations follow ${id}\` follows it\\.\\n$`));
    const followed = await cli(['operations', 'follow', id]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(
      followed.stdout,
      new RegExp(`^Operation ${id}\\n  kind {6}check\\n  status {4}succeeded\\n`),
    );
    assert.deepEqual((await api.get(id)).params, { limit: 5 });
  });

  it('follow of an operation cancelled while it runs ends with exit 1 and the cancelled operation', async () => {
    const child = startCli(
      ['operations', 'start', 'migrate', '--batch-size', '10', '--follow', '--json'],
      env(),
    );
    const done = collect(child);
    const running = await (async () => {
      for (let deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const { rows } = await stores.db.query<{ id: string }>(
          `SELECT id FROM tenant_operations WHERE status = 'running' AND progress IS NOT NULL`,
        );
        if (rows.length > 0) return rows[0].id;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.fail('the migration never ran');
    })();
    assert.equal((await api.control(running, 'cancel')).status, 202);
    const result = await done;
    assert.equal(result.code, 1, result.stderr);
    const operation = documentOf(result);
    assert.equal(operation.id, running);
    assert.equal(operation.status, 'cancelled');
    assert.ok((await tenantCount()) < TENANTS, 'it stopped midway');
  });

  it('an exclusive kind while another operation holds the tenants tables exits 3 with operation-conflict naming it', async () => {
    const holder = await api.start({ kind: 'migrate', batchSize: 10 });
    const result = await cli(['operations', 'start', 'cleanup', '--confirm', '--json']);
    assert.equal(result.code, 3, result.stderr);
    const failure = failureOf(result);
    assert.equal(failure.code, 'operation-conflict');
    assert.equal(failure.operationId, holder.id);
    assert.equal((await api.control(holder.id, 'cancel')).status, 202);
    await api.until(holder.id);
  });

  it('usage errors name the flag: a kind unknown or missing, a flag the kind does not take, a value out of range, a restore without its backup (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['operations', 'start', 'bogus'],
        /^tenant-migrate: the kind must be one of migrate, dry-run, /,
      ],
      [
        ['operations', 'start', 'check', '--batch-size', '5'],
        /^tenant-migrate: --batch-size cannot be used with operations start check \(it takes --limit\)$/,
      ],
      [
        ['operations', 'start', 'migrate', '--batch-size', '0'],
        /^tenant-migrate: --batch-size must not be less than 1 \(an integer from 1 to 50000\)$/,
      ],
      [
        ['operations', 'start', 'migrate', '--batch-size', 'ten'],
        /^tenant-migrate: --batch-size must be a whole number, got "ten"$/,
      ],
      [
        ['operations', 'start', 'migrate', '--conflict-policy', 'newest'],
        /^tenant-migrate: --conflict-policy must be one of the following values: keep-postgres, overwrite, skip$/,
      ],
      [
        ['operations', 'start', 'restore'],
        /^tenant-migrate: operations start restore needs --backup <id>/,
      ],
      [
        ['operations', 'start', 'restore', '--backup', 'b-1'],
        /^tenant-migrate: --backup must be the id \(a UUID\) of a recorded backup$/,
      ],
    ];
    for (const [args, line] of cases) {
      const result = await cli([...args, '--json']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], line);
      assert.equal(failureOf(result).code, 'invalid-option', args.join(' '));
    }
    // Commander's own refusal, as for every command's missing argument.
    const missing = await cli(['operations', 'start']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.equal(missing.stderr, "error: missing required argument 'kind'\n");
    const { rows } = await stores.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tenant_operations',
    );
    assert.equal(rows[0].n, 0, 'nothing was started');
  });
});
