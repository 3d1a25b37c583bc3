/**
 * The crash matrix: a real CLI process is killed at exact points of a migration (the CLI's
 * TENANT_MIGRATE_KILL_AT switch), or has its PostgreSQL backends terminated, and a plain re-run
 * must then end exactly where an uninterrupted run ends: same counts (every key once), same
 * table, same quarantine, same integrity check. Redis is a private server per test (see
 * support/private-redis.ts) so it can be kill -9'd and restarted without touching the shared one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  IntegrityService,
  type IntegrityReport,
  type MigrationCounts,
  type MigrationResult,
} from '#tenant-migration';
import {
  ADMIN_DATABASE_URL,
  createContextOverRedis,
  createTestDatabase,
  testNamespace,
} from './support/test-stores.js';
import { collect, startCli, type CliResult } from './support/cli.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

/**
 * Just over 4096 keys: Redis then sizes its table at 8192 buckets, so a SCAN COUNT 200 page holds
 * about 100 keys and a 200-key batch takes two pages: about 20 batches, enough for the later
 * kill points (batch 12) to fall inside the run whatever order a new server process scans in.
 */
const BASE_TENANTS = 4_200;
const BATCH = '200';
const MIGRATE = ['migrate', '--batch-size', BATCH, '--json'];
const CHECK = ['check', '--json'];
/** A CLI that neither finishes nor dies by then is hung: killed, and the case fails. */
const CLI_TIMEOUT_MS = 45_000;
const CASE_TIMEOUT_MS = 120_000;

/** Every column that does not record when the row was written (as in resume.e2e-spec.ts). */
const TABLE_QUERY = `
  SELECT id, subdomain, emoji, created_at, business_name, business_category, business_description, owner_name,
         email, phone, address, logo, brand_colors, feature_whatsapp, feature_home_visit, feature_analytics,
         feature_custom_templates, feature_multi_staff, subscription_plan, subscription_status,
         subscription_expires_at, profile_complete, source_format, source_id, source_key, source_hash
    FROM tenants ORDER BY subdomain`;

/** Kill points spread over a run; run-level stages take `*`. */
const KILL_POINTS: readonly { at: string; where: string }[] = [
  { at: 'run-recorded:*', where: 'run recorded, before any batch' },
  { at: 'batch-read:1', where: 'first batch read, before the first commit' },
  { at: 'batch-staged:1', where: 'first batch staged, inside its transaction' },
  { at: 'batch-merged:2', where: 'mid-batch: merged, not committed' },
  { at: 'batch-committed:1', where: 'between a commit and the next read' },
  { at: 'batch-committed:6', where: 'after the 6th commit' },
  { at: 'batch-read:9', where: '9th batch read, before its transaction' },
  { at: 'batch-merged:12', where: '12th batch merged, not committed' },
  { at: 'scan-finished:*', where: 'during the final accounting' },
  { at: 'run-finished:*', where: 'after the run is recorded as completed' },
];
/** Variant (c): the checkpoint's batch count at which every backend of the database is terminated. */
const TERMINATE_AT_BATCHES = [2, 7, 12] as const;

/** The CLI's periodic progress line on stderr when it is not a terminal. */
const PROGRESS_LINE = /^migrating: scanned [\d,]+, /;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Seed

/**
 * Mostly legacy values, some enhanced records and every kind of key a run rejects or renames.
 * Deterministic and independent of SCAN order, so any server process holding it migrates to
 * the same result: each case-variant pair includes its lower-case key, so the variant is always
 * the one rejected, whichever is read first.
 */
const seed = async (redis: Redis, prefix: string): Promise<number> => {
  const pipeline = redis.pipeline();
  for (let i = 0; i < BASE_TENANTS; i++) {
    const createdAt = 1_700_000_000_000 + i * 1000;
    const key = `${prefix}shop-${i}`;
    if (i % 97 === 5) pipeline.set(key, 'not json {');
    else if (i % 211 === 11) pipeline.hset(key, 'emoji', '🍕');
    else if (i % 307 === 13)
      pipeline.set(key, JSON.stringify({ emoji: '🍕', createdAt, ['bad\u0000field']: 1 }));
    else if (i % 149 === 23)
      pipeline.set(
        key,
        JSON.stringify({
          ...ENHANCED,
          createdAt,
          businessName: `Shop ${i}`,
          email: 'not-an-email',
        }),
      );
    else if (i % 401 === 17) pipeline.set(`${prefix}Shop-Upper-${i}`, legacy('🍕', createdAt));
    else if (i % 503 === 19) {
      pipeline.set(`${prefix}shop-dup-${i}`, legacy('🍕', createdAt));
      pipeline.set(`${prefix}Shop-Dup-${i}`, legacy('🌮', createdAt));
    } else if (i % 10 === 3) {
      pipeline.set(
        key,
        JSON.stringify({
          ...ENHANCED,
          createdAt,
          businessName: `Shop ${i}`,
          ownerName: `Owner ${i}`,
          email: `owner${i}@example.com`,
        }),
      );
    } else pipeline.set(key, legacy('🍕', createdAt));
  }
  const replies = await pipeline.exec();
  const failed = replies?.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  // The private server holds nothing else: DBSIZE is the number of seeded keys.
  return redis.dbsize();
};

// ---------------------------------------------------------------------------------------------
// Processes

/** CLI processes still running, so the `after` hook can kill them by pid if a case fails. */
const liveClis = new Set<ChildProcess>();

type TimedResult = CliResult & { timedOut: boolean; ms: number };

const trackCli = (
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<TimedResult> } => {
  const started = Date.now();
  const child = startCli(args, env);
  liveClis.add(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      process.kill(child.pid, 'SIGKILL');
  }, CLI_TIMEOUT_MS);
  const done = collect(child)
    .then((result) => ({ ...result, timedOut, ms: Date.now() - started }))
    .finally(() => {
      clearTimeout(timer);
      liveClis.delete(child);
    });
  return { child, done };
};

const runCli = (args: string[], env: Record<string, string>) => trackCli(args, env).done;

const describeExit = (r: CliResult): string =>
  r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;

const parseJson = <T>(r: CliResult): T | null => {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return null;
  }
};

// ---------------------------------------------------------------------------------------------
// What a database ends with

interface QuarantineRow {
  key: string;
  bucket: string;
  reasons: string[];
}

interface RunRow {
  id: string;
  status: string;
  counts: MigrationCounts;
  batches: number | null;
}

interface DatabaseState {
  /** Oldest first. */
  runs: RunRow[];
  table: Record<string, unknown>[];
  /** Per run id, sorted by key. */
  quarantine: Map<string, QuarantineRow[]>;
  /** Exceptions of any run recorded twice for one key. */
  duplicateExceptions: number;
}

const byKey = (a: QuarantineRow, b: QuarantineRow): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0;

const withDatabase = async <T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> => {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
};

const readRuns = (db: pg.Client): Promise<RunRow[]> =>
  db
    .query<RunRow>(
      `SELECT id, status, counts, (checkpoint->>'batches')::int AS batches FROM migration_runs WHERE kind = 'migrate' ORDER BY started_at, id`,
    )
    .then((r) => r.rows);

const readState = (url: string): Promise<DatabaseState> =>
  withDatabase(url, async (db) => {
    const runs = await readRuns(db);
    const table = (await db.query<Record<string, unknown>>(TABLE_QUERY)).rows;
    const exceptions = await db.query<{
      run_id: string;
      key: string;
      bucket: string;
      reasons: { code: string }[];
    }>('SELECT run_id, key, bucket, reasons FROM migration_exceptions ORDER BY id');
    const quarantine = new Map<string, QuarantineRow[]>(runs.map((run) => [run.id, []]));
    for (const e of exceptions.rows) {
      const rows = quarantine.get(e.run_id) ?? [];
      rows.push({ key: e.key, bucket: e.bucket, reasons: e.reasons.map((r) => r.code) });
      quarantine.set(e.run_id, rows);
    }
    let duplicateExceptions = 0;
    for (const rows of quarantine.values()) {
      rows.sort(byKey);
      duplicateExceptions += rows.length - new Set(rows.map((r) => r.key)).size;
    }
    return { runs, table, quarantine, duplicateExceptions };
  });

// ---------------------------------------------------------------------------------------------
// Comparisons: each adds a line with the numbers to `problems`, so one failure names them all.

const show = (value: unknown): string => JSON.stringify(value);

/** The counts a re-run must share with the clean run; created and updated are compared as their sum. */
const countsProblems = (
  label: string,
  actual: MigrationCounts,
  expected: MigrationCounts,
  seeded: number,
): string[] => {
  const problems: string[] = [];
  if (actual.scanned !== seeded)
    problems.push(
      `${label}: scanned ${actual.scanned}, seeded ${seeded} (${actual.scanned - seeded > 0 ? '+' : ''}${actual.scanned - seeded})`,
    );
  const compared: [string, unknown, unknown][] = [
    ['migrated', actual.migrated, expected.migrated],
    ['created+updated', actual.created + actual.updated, expected.created + expected.updated],
    ['unchanged', actual.unchanged, expected.unchanged],
    ['skipped', actual.skipped, expected.skipped],
    ['rejected', actual.rejected, expected.rejected],
    ['skippedByReason', actual.skippedByReason, expected.skippedByReason],
    ['rejectedByReason', actual.rejectedByReason, expected.rejectedByReason],
  ];
  for (const [name, a, e] of compared)
    if (!isDeepStrictEqual(a, e))
      problems.push(`${label}: ${name} ${show(a)}, clean run ${show(e)}`);
  return problems;
};

const tableProblems = (
  actual: Record<string, unknown>[],
  expected: Record<string, unknown>[],
): string[] => {
  const index = (rows: Record<string, unknown>[]) =>
    new Map(rows.map((r) => [String(r.subdomain), r]));
  const [a, e] = [index(actual), index(expected)];
  const missing = [...e.keys()].filter((s) => !a.has(s));
  const extra = [...a.keys()].filter((s) => !e.has(s));
  const different = [...a.keys()].filter((s) => e.has(s) && !isDeepStrictEqual(a.get(s), e.get(s)));
  if (!missing.length && !extra.length && !different.length && actual.length === expected.length)
    return [];
  const columns = (s: string) =>
    Object.keys(e.get(s) ?? {})
      .filter((c) => !isDeepStrictEqual(a.get(s)?.[c], e.get(s)?.[c]))
      .join(',');
  return [
    `table: ${actual.length} rows, clean run ${expected.length}; missing ${missing.length} ${show(missing.slice(0, 3))}, ` +
      `extra ${extra.length} ${show(extra.slice(0, 3))}, different ${different.length} ${show(different.slice(0, 3).map((s) => `${s}: ${columns(s)}`))}`,
  ];
};

const quarantineProblems = (
  label: string,
  actual: QuarantineRow[] | undefined,
  expected: QuarantineRow[],
): string[] => {
  if (!actual) return [`${label}: no such run`];
  if (isDeepStrictEqual(actual, expected)) return [];
  const line = (r: QuarantineRow) => `${r.key}|${r.bucket}|${r.reasons.join(',')}`;
  const expectedLines = new Set(expected.map(line));
  const actualLines = new Set(actual.map(line));
  const extra = actual.map(line).filter((l) => !expectedLines.has(l));
  const missing = expected.map(line).filter((l) => !actualLines.has(l));
  const twice = actual.length - new Set(actual.map((r) => r.key)).size;
  return [
    `${label}: ${actual.length} rows, clean run ${expected.length}; ${twice} keys more than once, ` +
      `extra ${extra.length} ${show(extra.slice(0, 3))}, missing ${missing.length} ${show(missing.slice(0, 3))}`,
  ];
};

/** The check's report without its timing, drifts and invalid records in a fixed order. */
const comparableCheck = (report: IntegrityReport): Omit<IntegrityReport, 'durationMs'> => {
  const { durationMs: _durationMs, ...rest } = report;
  return {
    ...rest,
    drift: [...report.drift].sort((x, y) =>
      `${x.kind}\u0000${x.subdomain}`.localeCompare(`${y.kind}\u0000${y.subdomain}`),
    ),
    invalidRecords: [...report.invalidRecords].sort((x, y) => x.key.localeCompare(y.key)),
  };
};

/**
 * The integrity check of a case, in this process (the same service the CLI's `check` runs;
 * the clean run's check is the CLI's own, so the two are compared as the CLI would answer).
 */
const checkInProcess = async (
  databaseUrl: string,
  redisUrl: string,
  keyPrefix: string,
): Promise<IntegrityReport> => {
  // A client of its own, closed here: cases run two at a time against servers that restart.
  const redis = new Redis(redisUrl);
  try {
    const app = await createContextOverRedis(databaseUrl, redis, { keyPrefix });
    try {
      return await app.get(IntegrityService).check();
    } finally {
      await app.close();
    }
  } finally {
    redis.disconnect();
  }
};

const checkProblems = (
  report: IntegrityReport,
  expected: { code: number | null; report: IntegrityReport },
): string[] => {
  const problems: string[] = [];
  // The CLI's check exits 0 when the stores agree and 1 on drift.
  const code = report.consistent ? 0 : 1;
  if (code !== expected.code)
    problems.push(`check: exit code ${code}, clean run's check exit code ${expected.code}`);
  const [a, e] = [comparableCheck(report), comparableCheck(expected.report)];
  for (const field of Object.keys(e) as (keyof typeof e)[]) {
    if (field === 'drift' || field === 'invalidRecords') continue;
    if (!isDeepStrictEqual(a[field], e[field]))
      problems.push(`check: ${field} ${show(a[field])}, clean run's check ${show(e[field])}`);
  }
  const driftLine = (d: IntegrityReport['drift'][number]) => `${d.kind}:${d.subdomain}`;
  const extra = a.drift.filter((d) => !e.drift.some((x) => isDeepStrictEqual(x, d))).map(driftLine);
  if (extra.length)
    problems.push(
      `check: ${extra.length} drifts the clean run's check does not report ${show(extra.slice(0, 5))}`,
    );
  const missing = e.drift
    .filter((d) => !a.drift.some((x) => isDeepStrictEqual(x, d)))
    .map(driftLine);
  if (missing.length)
    problems.push(
      `check: ${missing.length} of the clean run's drifts not reported ${show(missing.slice(0, 5))}`,
    );
  if (!isDeepStrictEqual(a.invalidRecords, e.invalidRecords))
    problems.push(
      `check: invalidRecords differ (${a.invalidRecords.length}, clean run ${e.invalidRecords.length})`,
    );
  return problems;
};

/** What a case's processes left and how long each took: the case's diagnostic line (the time budget is tight). */
class CaseLog {
  private readonly laps: string[] = [];
  add(label: string, ms: number): void {
    this.laps.push(`${label} ${(ms / 1000).toFixed(1)}s`);
  }
  note(text: string): void {
    this.laps.push(text);
  }
  toString(): string {
    return this.laps.join(', ');
  }
}

/**
 * Whether the killed process died where it was told to: its run's state must show it (the run
 * open, and as many committed batches as the point implies). Catches a kill switch that fires
 * at the wrong stage or batch, which would make the case test another point than it names.
 */
const killPointProblems = (at: string, runs: RunRow[]): string[] => {
  const [stage, number] = at.split(':');
  const run = runs.at(-1);
  if (runs.length !== 1 || !run)
    return [`kill point ${at}: ${runs.length} runs recorded, expected 1`];
  const problems: string[] = [];
  const expectedStatus = stage === 'run-finished' ? 'completed' : 'running';
  if (run.status !== expectedStatus)
    problems.push(`kill point ${at}: the killed run is ${run.status}, expected ${expectedStatus}`);
  const committed = run.batches ?? 0;
  const batch = Number(number);
  if (stage === 'run-recorded' && committed !== 0)
    problems.push(`kill point ${at}: ${committed} batches committed, expected none`);
  if (stage === 'batch-committed' && committed !== batch)
    problems.push(`kill point ${at}: ${committed} batches committed, expected ${batch}`);
  // Before its commit: batch N is not in the checkpoint (the previous one may or may not be yet).
  if (
    (stage === 'batch-read' || stage === 'batch-staged' || stage === 'batch-merged') &&
    committed >= batch
  ) {
    problems.push(`kill point ${at}: ${committed} batches committed, expected fewer than ${batch}`);
  }
  if ((stage === 'scan-finished' || stage === 'run-finished') && committed <= 12)
    problems.push(`kill point ${at}: only ${committed} batches committed`);
  return problems;
};

const failOn = (label: string, problems: string[]): void => {
  if (problems.length) assert.fail(`${label}\n  - ${problems.join('\n  - ')}`);
};

// ---------------------------------------------------------------------------------------------

/** A first-come pool of the private servers the Redis-restart cases take turns on. */
class Pool<T> {
  private readonly waiting: ((item: T) => void)[] = [];
  constructor(private readonly free: T[]) {}
  acquire(): Promise<T> {
    const item = this.free.pop();
    return item !== undefined
      ? Promise.resolve(item)
      : new Promise((resolve) => this.waiting.push(resolve));
  }
  release(item: T): void {
    const next = this.waiting.shift();
    if (next) next(item);
    else this.free.push(item);
  }
}

interface Reference {
  seeded: number;
  batches: number;
  migrate: { code: number | null; result: MigrationResult };
  /** A second, uninterrupted run on the migrated database: what a re-run after `run-finished` is. */
  second: { code: number | null; result: MigrationResult; quarantine: QuarantineRow[] };
  check: { code: number | null; report: IntegrityReport };
  state: DatabaseState;
  quarantine: QuarantineRow[];
}

describe('crash matrix: kill -9 or lose PostgreSQL at any point, re-run, and end exactly where a clean run ends', () => {
  const prefix = `${testNamespace('crash')}subdomain:`;
  const databases: string[] = [];
  let main: PrivateRedis;
  let restartable: Pool<PrivateRedis>;
  let ref: Reference;

  const database = async (name: string): Promise<string> => {
    const url = await createTestDatabase(`crash_${name}`);
    databases.push(new URL(url).pathname.slice(1));
    return url;
  };
  const envFor = (
    url: string,
    redis: PrivateRedis,
    extra: Record<string, string> = {},
  ): Record<string, string> => ({
    DATABASE_URL: url,
    REDIS_URL: redis.url,
    TENANT_KEY_PREFIX: prefix,
    ...extra,
  });

  before(async () => {
    // One server for the cases that leave Redis alone (they only read it), one per concurrent
    // restart case; all hold the same seed, saved to their dump.rdb.
    const servers = await Promise.all([
      startPrivateRedis(),
      startPrivateRedis(),
      startPrivateRedis(),
    ]);
    [main] = servers;
    const counts = await Promise.all(
      servers.map(async (server) => {
        const client = new Redis(server.url);
        try {
          const n = await seed(client, prefix);
          await server.snapshot();
          return n;
        } finally {
          client.disconnect();
        }
      }),
    );
    assert.ok(
      counts.every((n) => n === counts[0]),
      `every server holds the same seed (${counts.join(', ')})`,
    );
    restartable = new Pool(servers.slice(1));

    const url = await database('reference');
    const env = envFor(url, main);
    const migrate = await runCli(MIGRATE, env);
    const result = parseJson<MigrationResult>(migrate);
    assert.ok(result, `the clean run prints JSON (${describeExit(migrate)}): ${migrate.stderr}`);
    assert.equal(result.balanced, true, 'the clean run balances');
    assert.equal(result.counts.scanned, counts[0], 'the clean run scans every seeded key once');
    assert.ok(
      result.counts.rejected > 0 && result.counts.migrated > 0,
      'the seed has both migrated and rejected keys',
    );
    const check = await runCli(CHECK, env);
    const report = parseJson<IntegrityReport>(check);
    assert.ok(
      report,
      `the clean run's check prints JSON (${describeExit(check)}): ${check.stderr}`,
    );
    const state = await readState(url);
    assert.equal(state.runs.length, 1);
    const batches = state.runs[0].batches ?? 0;
    assert.ok(
      batches > 12,
      `the clean run has more than 12 batches, so every kill point is inside it (it has ${batches})`,
    );

    const again = await runCli(MIGRATE, env);
    const secondResult = parseJson<MigrationResult>(again);
    assert.ok(
      secondResult,
      `a second clean run prints JSON (${describeExit(again)}): ${again.stderr}`,
    );
    const secondState = await readState(url);
    ref = {
      seeded: counts[0],
      batches,
      migrate: { code: migrate.code, result },
      second: {
        code: again.code,
        result: secondResult,
        quarantine: secondState.quarantine.get(secondState.runs[1]?.id ?? '') ?? [],
      },
      check: { code: check.code, report },
      state,
      quarantine: state.quarantine.get(state.runs[0].id) ?? [],
    };
  });

  after(async () => {
    for (const child of liveClis) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGKILL');
    }
    await stopAllPrivateRedis();
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      for (const name of databases)
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  /**
   * The re-run and what it leaves, against the clean run. `runFinished`: the killed run had
   * completed, so the re-run is a new run over a migrated database, like the second clean run.
   */
  const verifyRerun = async (
    url: string,
    redis: PrivateRedis,
    runsBefore: RunRow[],
    runFinished: boolean,
    timings: CaseLog,
  ): Promise<string[]> => {
    const problems: string[] = [];
    const rerun = await runCli(MIGRATE, envFor(url, redis));
    timings.add('re-run', rerun.ms);
    const expected = runFinished ? ref.second : ref.migrate;
    if (rerun.timedOut) problems.push(`the re-run hung: killed after ${CLI_TIMEOUT_MS} ms`);
    if (rerun.code !== expected.code)
      problems.push(
        `re-run: ${describeExit(rerun)}, clean run exit code ${expected.code}; stderr: ${rerun.stderr.trim()}`,
      );
    const result = parseJson<MigrationResult>(rerun);
    if (!result) return [...problems, `the re-run printed no JSON: ${rerun.stderr.trim()}`];
    problems.push(...countsProblems('re-run', result.counts, expected.result.counts, ref.seeded));
    if (!result.balanced) problems.push(`re-run: balanced false ${show(result.counts)}`);
    const state = await readState(url);
    if (state.duplicateExceptions)
      problems.push(`quarantine: ${state.duplicateExceptions} keys recorded twice by one run`);
    problems.push(...tableProblems(state.table, ref.state.table));
    if (runFinished) {
      const [killed, fresh] = state.runs;
      if (result.resumed) problems.push('the re-run resumed a completed run');
      if (state.runs.length !== 2)
        problems.push(
          `${state.runs.length} runs, expected the killed one and the re-run: ${show(state.runs.map((r) => r.status))}`,
        );
      if (killed?.status !== 'completed')
        problems.push(`the killed run is ${killed?.status ?? 'missing'}, expected completed`);
      if (killed)
        problems.push(
          ...countsProblems(
            'the killed (completed) run',
            killed.counts,
            ref.migrate.result.counts,
            ref.seeded,
          ),
        );
      problems.push(
        ...quarantineProblems(
          'quarantine of the killed run',
          killed && state.quarantine.get(killed.id),
          ref.quarantine,
        ),
      );
      problems.push(
        ...quarantineProblems(
          'quarantine of the re-run',
          fresh ? state.quarantine.get(fresh.id) : undefined,
          ref.second.quarantine,
        ),
      );
    } else {
      const interrupted = runsBefore.at(-1);
      if (!result.resumed || result.runId !== interrupted?.id) {
        problems.push(
          `the re-run did not resume the interrupted run (resumed ${result.resumed}; runs before it: ${show(runsBefore.map((r) => `${r.status}@${r.batches ?? 0}`))})`,
        );
      }
      const completed = state.runs.filter((r) => r.status === 'completed');
      if (completed.length !== 1)
        problems.push(
          `${completed.length} completed runs, expected 1: ${show(state.runs.map((r) => r.status))}`,
        );
      const exceptions = [...state.quarantine.values()].flat().sort(byKey);
      problems.push(...quarantineProblems('quarantine', exceptions, ref.quarantine));
    }
    const started = Date.now();
    problems.push(...checkProblems(await checkInProcess(url, redis.url, prefix), ref.check));
    timings.add('check', Date.now() - started);
    return problems;
  };

  /** Runs the CLI to its kill point; fails at once if it did not die there. */
  const killAt = async (
    url: string,
    redis: PrivateRedis,
    at: string,
    timings: CaseLog,
  ): Promise<RunRow[]> => {
    const killed = await runCli(MIGRATE, envFor(url, redis, { TENANT_MIGRATE_KILL_AT: at }));
    timings.add('killed run', killed.ms);
    if (killed.timedOut)
      assert.fail(
        `TENANT_MIGRATE_KILL_AT=${at}: the CLI neither died nor finished in ${CLI_TIMEOUT_MS} ms`,
      );
    if (killed.signal !== 'SIGKILL') {
      assert.fail(
        `TENANT_MIGRATE_KILL_AT=${at} did not kill the CLI: it ran to the end (${describeExit(killed)}), so the engine never ` +
          `reported stage "${at.split(':')[0]}" for that batch to onStage. stderr: ${killed.stderr.trim()}`,
      );
    }
    const runs = await withDatabase(url, readRuns);
    timings.note(`left ${show(runs.map((r) => `${r.status}@${r.batches ?? 0}`))}`);
    return runs;
  };

  describe('(a) kill -9 of the CLI, then re-run right away', { concurrency: 2 }, () => {
    for (const point of KILL_POINTS) {
      it(`(a) kill -9 at ${point.at} (${point.where})`, { timeout: CASE_TIMEOUT_MS }, async (t) => {
        const timings = new CaseLog();
        const url = await database(`a_${point.at.replace('*', 'any')}`);
        const runsBefore = await killAt(url, main, point.at, timings);
        const problems = [
          ...killPointProblems(point.at, runsBefore),
          ...(await verifyRerun(
            url,
            main,
            runsBefore,
            point.at.startsWith('run-finished'),
            timings,
          )),
        ];
        t.diagnostic(timings.toString());
        failOn(`(a) ${point.at}`, problems);
      });
    }
  });

  describe(
    '(b) kill -9 of the CLI and of Redis, Redis restarted from its snapshot, then re-run',
    { concurrency: 2 },
    () => {
      for (const point of KILL_POINTS) {
        it(
          `(b) kill -9 at ${point.at} (${point.where}) + Redis restart`,
          { timeout: CASE_TIMEOUT_MS },
          async (t) => {
            const redis = await restartable.acquire();
            try {
              const timings = new CaseLog();
              const url = await database(`b_${point.at.replace('*', 'any')}`);
              const runsBefore = await killAt(url, redis, point.at, timings);
              const oldPid = redis.pid;
              await redis.restart();
              assert.notEqual(redis.pid, oldPid, 'a new Redis process');
              const problems = [
                ...killPointProblems(point.at, runsBefore),
                ...(await verifyRerun(
                  url,
                  redis,
                  runsBefore,
                  point.at.startsWith('run-finished'),
                  timings,
                )),
              ];
              t.diagnostic(timings.toString());
              failOn(`(b) ${point.at}`, problems);
            } finally {
              restartable.release(redis);
            }
          },
        );
      }
    },
  );

  describe(
    '(c) every PostgreSQL backend of the database terminated mid-run, then re-run',
    { concurrency: 2 },
    () => {
      for (const threshold of TERMINATE_AT_BATCHES) {
        it(
          `(c) pg_terminate_backend at checkpoint batch >= ${threshold}`,
          { timeout: CASE_TIMEOUT_MS },
          async (t) => {
            const timings = new CaseLog();
            const url = await database(`c_${threshold}`);
            const { done } = trackCli(MIGRATE, envFor(url, main));
            let exited = false;
            const ended = () => (exited = true);
            void done.then(ended, ended);
            const seen = await withDatabase(url, async (db) => {
              let batches = 0;
              while (!exited && batches < threshold) {
                const { rows } = await db.query<{ batches: number | null }>(
                  `SELECT (checkpoint->>'batches')::int AS batches FROM migration_runs ORDER BY started_at DESC LIMIT 1`,
                );
                batches = rows[0]?.batches ?? 0;
                if (batches < threshold) await sleep(2);
              }
              if (exited) return null;
              // Every backend but this one: the CLI's sessions and its TypeORM pool.
              const terminated = await db.query<{ n: string }>(
                `SELECT count(*) FILTER (WHERE t) AS n FROM (SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()) x`,
              );
              return { batches, terminated: Number(terminated.rows[0].n) };
            });
            const killed = await done;
            timings.add('terminated run', killed.ms);
            if (!seen)
              assert.fail(
                `the run ended (${describeExit(killed)}) before its checkpoint reached batch ${threshold}: ${killed.stderr.trim()}`,
              );
            const problems: string[] = [];
            // Progress lines ("migrating: scanned ...") share stderr; the error is every other line.
            const errorLines = killed.stderr
              .split('\n')
              .filter((l) => l.trim() && !PROGRESS_LINE.test(l));
            if (killed.code !== 3)
              problems.push(
                `the CLI ${describeExit(killed)} after losing PostgreSQL at batch ${seen.batches}, expected exit code 3; stderr: ${show(errorLines)}`,
              );
            if (errorLines.length !== 1 || !errorLines[0].startsWith('tenant-migrate: ')) {
              problems.push(
                `the CLI's error is not one "tenant-migrate: ..." line without a stack trace: ${show(errorLines.slice(0, 8))}`,
              );
            } else if (
              !/^tenant-migrate: run [0-9a-f-]{36} stopped: .*`migrate` \(or `resume [0-9a-f-]{36}`\) continues it/.test(
                errorLines[0],
              )
            ) {
              problems.push(
                `the CLI's error does not name the run and the command that continues it: ${show(errorLines[0])}`,
              );
            }
            const runsBefore = await withDatabase(url, readRuns);
            problems.push(...(await verifyRerun(url, main, runsBefore, false, timings)));
            t.diagnostic(timings.toString());
            failOn(
              `(c) terminated at batch ${seen.batches} (${seen.terminated} backends)`,
              problems,
            );
          },
        );
      }
    },
  );
});
