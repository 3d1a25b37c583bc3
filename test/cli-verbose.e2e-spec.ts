/**
 * The verbose log (`--verbose`, NODE_ENV=development): detailed lines on stderr only, so that
 * `--json` on stdout is the same document as without it; per-batch lines whose counts add up
 * to the run's; no password of a store URL on either stream; and no such line without it.
 * The compiled CLI as a child process, against the real PostgreSQL and Redis.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestStores, TEST_REDIS_URL, type TestStores } from './support/test-stores.js';
import { runCli, type CliResult } from './support/cli.js';
import { legacy } from './support/tenant-fixtures.js';

const PG_PASSWORD = 's3cret-pw';

/**
 * The test Redis with credentials in its URL: without ACLs, Redis's `default` user takes any
 * password (`AUTH default <anything>` succeeds). A URL that has its own keeps it: that is then
 * the password that must not show.
 */
const redisWithPassword = (): { url: string; password: string } => {
  const url = new URL(TEST_REDIS_URL);
  if (!url.password) {
    url.username = 'default';
    url.password = 'r3dis-pw';
  }
  return { url: url.toString(), password: decodeURIComponent(url.password) };
};

/** Trust authentication on the test PostgreSQL: a password in the URL is never asked for. */
const withPassword = (databaseUrl: string): string => {
  const url = new URL(databaseUrl);
  url.password = PG_PASSWORD;
  return url.toString();
};

const VERBOSE_LINE = /^tenant-migrate: \[verbose\] (\S+) (.*)$/;

/** The events of the verbose lines (time stamp checked and dropped); other stderr lines are left out. */
const verboseEvents = (stderr: string): string[] =>
  stderr
    .split('\n')
    .map((line) => VERBOSE_LINE.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, time, event]) => {
      assert.equal(new Date(time).toISOString(), time, `an ISO time stamp: ${time}`);
      return event;
    });

const BATCH_LINE =
  /^(?:migrate|resume): batch (\d+): (\d+) keys: migrated (\d+), unchanged (\d+), skipped (\d+), rejected (\d+) \(conflicts (\d+)\); read (\d+) ms, written (\d+) ms; scanned (\d+) in all after (\d+) ms$/;

interface BatchLine {
  number: number;
  scanned: number;
  migrated: number;
  unchanged: number;
  skipped: number;
  rejected: number;
  conflicts: number;
  readMs: number;
  writeMs: number;
  total: number;
}

const batchLines = (events: string[]): BatchLine[] =>
  events.flatMap((event) => {
    const m = BATCH_LINE.exec(event);
    if (!m) return [];
    const [
      number,
      scanned,
      migrated,
      unchanged,
      skipped,
      rejected,
      conflicts,
      readMs,
      writeMs,
      total,
    ] = m.slice(1, 11).map(Number);
    return [
      {
        number,
        scanned,
        migrated,
        unchanged,
        skipped,
        rejected,
        conflicts,
        readMs,
        writeMs,
        total,
      },
    ];
  });

interface MigrationDocument {
  runId: string | null;
  durationMs: number;
  rate: number;
  counts: {
    scanned: number;
    migrated: number;
    unchanged: number;
    skipped: number;
    rejected: number;
    conflicts: number;
    repeated: number;
  };
  samples: { key: string }[];
  [field: string]: unknown;
}

const documentOf = (result: CliResult): MigrationDocument =>
  JSON.parse(result.stdout) as MigrationDocument;

/**
 * The document less what differs between any two runs of the same work: the run's id, its
 * duration and speed, and what depends on the order SCAN lists keys in (other spec files
 * write to the same Redis meanwhile, which can rehash it): the keys listed twice, the
 * samples' order.
 */
const comparable = ({
  runId,
  durationMs,
  rate,
  counts,
  samples,
  ...rest
}: MigrationDocument): Record<string, unknown> => {
  assert.ok(runId === null || typeof runId === 'string');
  assert.equal(typeof durationMs, 'number');
  assert.equal(typeof rate, 'number');
  const { repeated, ...accounted } = counts;
  assert.equal(typeof repeated, 'number');
  return {
    ...rest,
    counts: accounted,
    samples: [...samples].sort((a, b) => a.key.localeCompare(b.key)),
  };
};

/** A verbose event with its numbers and ids blanked: the kind of line, which two runs of the same work share. */
const shape = (event: string): string =>
  event
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d+/g, 'N');

const assertNoSecrets = (label: string, result: CliResult, secrets: string[]): void => {
  for (const secret of secrets) {
    assert.ok(!result.stdout.includes(secret), `${label}: stdout shows a password`);
    assert.ok(!result.stderr.includes(secret), `${label}: stderr shows a password`);
  }
};

describe('CLI verbose log: stderr only, per batch, no secrets', () => {
  const VALID = 22;
  const BATCH = 5;
  let stores: TestStores;
  let env: Record<string, string>;
  let secrets: string[];

  const migrate = (extra: string[] = [], more: Record<string, string> = {}): Promise<CliResult> =>
    runCli(['migrate', '--json', '--batch-size', String(BATCH), ...extra], { ...env, ...more });

  before(async () => {
    stores = await createTestStores('cli_verbose');
    const redis = redisWithPassword();
    env = {
      DATABASE_URL: withPassword(stores.databaseUrl),
      REDIS_URL: redis.url,
      TENANT_KEY_PREFIX: stores.prefix,
    };
    secrets = [PG_PASSWORD, redis.password];
    const seed = stores.redis.pipeline();
    for (let i = 0; i < VALID; i++)
      seed.set(
        `${stores.prefix}shop-${String(i).padStart(2, '0')}`,
        legacy('🍕', 1700000000000 + i),
      );
    seed.set(`${stores.prefix}broken-json`, '{"emoji": ');
    seed.set(`${stores.prefix}admin`, legacy('🛠️'));
    seed.hset(`${stores.prefix}a-hash`, 'emoji', '🍕');
    await seed.exec();
  });
  beforeEach(async () => stores.clearDatabase());
  after(async () => stores.close());

  it('--verbose leaves stdout the same JSON document and logs every batch, with counts that add up to the result', async () => {
    const plain = await migrate();
    await stores.clearDatabase();
    const verbose = await migrate(['--verbose']);

    assert.equal(verbose.code, plain.code, verbose.stderr);
    assert.equal(plain.code, 1, 'rejected keys: exit 1');
    const document = documentOf(verbose);
    assert.deepEqual(comparable(document), comparable(documentOf(plain)));
    assert.deepEqual(verboseEvents(plain.stderr), [], 'no verbose line without --verbose');
    assertNoSecrets('plain', plain, secrets);
    assertNoSecrets('verbose', verbose, secrets);

    const events = verboseEvents(verbose.stderr);
    const batches = batchLines(events);
    assert.ok(batches.length >= 3, `several batches: ${batches.length}\n${events.join('\n')}`);
    assert.deepEqual(
      batches.map((b) => b.number),
      batches.map((_, i) => i + 1),
      'one line per batch, in order',
    );
    const sum = (field: keyof BatchLine): number =>
      batches.reduce((total, b) => total + b[field], 0);
    const { counts } = document;
    assert.deepEqual(
      {
        scanned: sum('scanned'),
        migrated: sum('migrated'),
        unchanged: sum('unchanged'),
        skipped: sum('skipped'),
        rejected: sum('rejected'),
        conflicts: sum('conflicts'),
      },
      {
        scanned: counts.scanned,
        migrated: counts.migrated,
        unchanged: counts.unchanged,
        skipped: counts.skipped,
        rejected: counts.rejected,
        conflicts: counts.conflicts,
      },
    );
    assert.deepEqual([counts.scanned, counts.migrated, counts.rejected], [VALID + 3, VALID, 3]);
    let running = 0;
    for (const b of batches) {
      running += b.scanned;
      assert.equal(b.total, running, `batch ${b.number}: the running total`);
      assert.equal(
        b.scanned,
        b.migrated + b.unchanged + b.skipped + b.rejected,
        `batch ${b.number}: its counts add up`,
      );
    }

    const has = (pattern: RegExp): void =>
      assert.ok(
        events.some((e) => pattern.test(e)),
        `a line matching ${pattern}\n${events.join('\n')}`,
      );
    has(
      /^migrate: started \(verbose log on by --verbose\); flags --batch-size 5 --json --verbose$/,
    );
    has(
      new RegExp(
        `^migrate: settings .*TENANT_KEY_PREFIX=${JSON.stringify(stores.prefix)}.*MIGRATION_BATCH_SIZE=2000`,
      ),
    );
    has(/^PostgreSQL: connecting to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\//);
    has(/^Redis: connecting to redis:\/\/default:\*\*\*@/);
    has(new RegExp(`^migrate: run ${document.runId} started$`));
    has(new RegExp(`^migrate: scan finished after batch ${batches.length}$`));
    has(/^migrate: run closed as completed$/);
    has(
      new RegExp(
        `^migrate: run ${document.runId} done: scanned ${counts.scanned}, .*counts add up.*batch size ${BATCH}, conflict policy keep-postgres$`,
      ),
    );
    has(/^migrate: finished in \d+ ms, exit code 1 \(findings\)$/);
    assert.ok(
      !events.some((e) => e.includes('DATABASE_URL=') || e.includes('REDIS_URL=')),
      'the settings line leaves the URLs out',
    );
    assert.ok(!verbose.stderr.includes('{"emoji"'), 'no value from Redis');
  });

  it('logs unchanged, updated and conflicting tenants batch by batch on a second run', async () => {
    const first = await migrate();
    assert.equal(first.code, 1, `${first.stdout}\n${first.stderr}`);
    // One tenant changed in Redis only (updated), one in both stores (a conflict: skipped).
    await stores.redis.set(`${stores.prefix}shop-03`, legacy('🌮', 1700000000003));
    await stores.redis.set(`${stores.prefix}shop-07`, legacy('🌮', 1700000000007));
    await stores.db.query(
      `UPDATE tenants SET updated_at = migrated_at + interval '1 hour' WHERE subdomain = 'shop-07'`,
    );
    const second = await migrate(['--verbose']);
    const { counts } = documentOf(second);
    assert.deepEqual(
      [counts.migrated, counts.unchanged, counts.skipped, counts.conflicts, counts.rejected],
      [1, VALID - 2, 1, 1, 3],
      second.stderr,
    );
    const batches = batchLines(verboseEvents(second.stderr));
    const sum = (field: keyof BatchLine): number =>
      batches.reduce((total, b) => total + b[field], 0);
    assert.deepEqual(
      [sum('migrated'), sum('unchanged'), sum('skipped'), sum('conflicts'), sum('rejected')],
      [1, VALID - 2, 1, 1, 3],
    );
  });

  it('a resumed run logs its batches from its checkpoint on, each with its own share of the counts', async () => {
    // Killed right after batch 2 commits: batches 1 and 2 are in the checkpoint.
    const killed = await migrate(['--verbose'], { TENANT_MIGRATE_KILL_AT: 'batch-committed:2' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const [run] = JSON.parse((await runCli(['runs', '--json'], env)).stdout) as {
      id: string;
      counts: { scanned: number };
    }[];
    const resumed = await runCli(['resume', run.id, '--json', '--verbose'], env);
    const { counts } = documentOf(resumed);
    const batches = batchLines(verboseEvents(resumed.stderr));
    assert.ok(batches.length >= 1, resumed.stderr);
    assert.deepEqual(
      batches.map((b) => b.number),
      batches.map((_, i) => i + 3),
      'numbered on from the checkpoint',
    );
    assert.equal(
      run.counts.scanned + batches.reduce((total, b) => total + b.scanned, 0),
      counts.scanned,
    );
    assert.equal(
      batches.at(-1)?.total,
      counts.scanned,
      'the running total includes the batches before the resume',
    );
    assert.ok(
      verboseEvents(resumed.stderr).includes('resume: run recorded, resuming after batch 2'),
    );
  });

  it('NODE_ENV=development logs the same lines as --verbose; production and test log none', async () => {
    const flag = await migrate(['--verbose']);
    await stores.clearDatabase();
    const development = await migrate([], { NODE_ENV: 'development' });
    assert.equal(development.code, flag.code);
    assert.deepEqual(comparable(documentOf(development)), comparable(documentOf(flag)));
    assertNoSecrets('development', development, secrets);
    // The same kinds of lines, but for the first two: what turned the log on (and the flag
    // itself), and NODE_ENV among the settings. Batch boundaries follow SCAN, so kinds, not lines.
    const own = /^migrate: (started|settings) /;
    const kinds = (result: CliResult): string[] =>
      [
        ...new Set(
          verboseEvents(result.stderr)
            .filter((e) => !own.test(e))
            .map(shape),
        ),
      ].sort();
    assert.deepEqual(kinds(development), kinds(flag));
    for (const result of [flag, development]) {
      const batches = batchLines(verboseEvents(result.stderr));
      assert.ok(batches.length >= 3);
      assert.equal(
        batches.reduce((total, b) => total + b.scanned, 0),
        documentOf(result).counts.scanned,
      );
    }
    const events = verboseEvents(development.stderr);
    assert.ok(
      events.some((e) =>
        /^migrate: started \(verbose log on by NODE_ENV=development\); flags --batch-size 5 --json$/.test(
          e,
        ),
      ),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => /^migrate: settings .*NODE_ENV="development"/.test(e)),
      events.join('\n'),
    );

    for (const nodeEnv of ['production', 'test', '']) {
      await stores.clearDatabase();
      const quiet = await migrate([], { NODE_ENV: nodeEnv });
      assert.equal(quiet.code, 1, quiet.stderr);
      assert.deepEqual(verboseEvents(quiet.stderr), [], `NODE_ENV=${nodeEnv}`);
      assert.ok(!quiet.stderr.includes('[verbose]'));
    }
  });

  it('a Redis-only command logs Redis and no PostgreSQL; a PostgreSQL-only one the reverse; --json stays the same', async () => {
    const plain = await runCli(['validate', '--json'], env);
    const verbose = await runCli(['validate', '--json', '--verbose'], env);
    assert.equal(verbose.code, plain.code);
    const { durationMs: _a, ...plainReport } = JSON.parse(plain.stdout) as Record<string, unknown>;
    const { durationMs: _b, ...verboseReport } = JSON.parse(verbose.stdout) as Record<
      string,
      unknown
    >;
    assert.deepEqual(verboseReport, plainReport);
    const validate = verboseEvents(verbose.stderr);
    assert.ok(
      validate.some((e) => /^Redis: answered PING \(\d+ ms\)$/.test(e)),
      validate.join('\n'),
    );
    assert.ok(
      !validate.some((e) => e.startsWith('PostgreSQL')),
      'validate never connects to PostgreSQL',
    );
    assert.ok(validate.some((e) => /^validate: batch 1: \d+ keys, \d+ in all$/.test(e)));
    assert.ok(
      validate.some((e) => /^validate: finished in \d+ ms, exit code 1 \(findings\)$/.test(e)),
    );

    // The root's --verbose covers the subcommand after it.
    const runs = await runCli(['--verbose', 'runs', '--json'], env);
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(JSON.parse(runs.stdout), []);
    const listed = verboseEvents(runs.stderr);
    assert.ok(
      listed.some((e) => /^PostgreSQL: connected, schema up to date \(\d+ ms\)$/.test(e)),
      listed.join('\n'),
    );
    assert.ok(!listed.some((e) => e.startsWith('Redis')), 'runs never connects to Redis');
    assert.ok(
      listed.some((e) =>
        /^runs: settings TENANT_TABLES=unset, POSTGRES_LOCK_TIMEOUT_MS=30000, POSTGRES_REPLY_TIMEOUT_MS=120000, NODE_ENV=unset$/.test(
          e,
        ),
      ),
      listed.join('\n'),
    );
    for (const result of [plain, verbose, runs]) assertNoSecrets('validate/runs', result, secrets);
  });
});
