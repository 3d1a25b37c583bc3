/**
 * The long commands show their progress on stderr while they run: on a stderr that is no
 * terminal (a pipe here), a line at most every PROGRESS_INTERVAL_MS, and none at all for a
 * command that ends sooner. With `--json`, stdout still carries exactly one document, and the
 * progress lines all come before the command's error line. PROGRESS_INTERVAL_MS=0 writes a line
 * at every report, so that a few thousand keys show them without waiting. Real child processes,
 * real PostgreSQL (own database) and Redis (own key prefix; nothing but the prefix is written).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import type {
  BackupSummary,
  BackupVerifyReport,
  CleanupResult,
  IntegrityReport,
  MigrationResult,
  RedisRestoreReport,
  ValidationReport,
} from '#tenant-migration';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { failureOf, runCli, type CliResult } from './support/cli.js';
import { legacy } from './support/tenant-fixtures.js';

const NAMESPACE = testNamespace('cli_progress');
const PREFIX = `${NAMESPACE}t:`;
/** Enough for several batches of 500 keys, and for two reports of a backup file (one each 1000 entries). */
const TENANTS = 2500;

const COUNT = String.raw`\d{1,3}(?:,\d{3})*`;

/** A count line: `<label>: N <unit> (R <unit>/s)`, or with a total `N/T <unit> (R <unit>/s, ETA Ss)`. */
const countLine = (label: string, unit: string, total?: string): RegExp =>
  total === undefined
    ? new RegExp(`^${label}: (${COUNT}) ${unit} \\(${COUNT} ${unit}/s\\)$`)
    : new RegExp(`^${label}: (${COUNT})/${total} ${unit} \\(${COUNT} ${unit}/s, ETA \\d+s\\)$`);

/** Migrate's line, as it has always been. */
const MIGRATE_LINE = new RegExp(
  `^migrating: scanned (${COUNT}), migrated ${COUNT}, unchanged ${COUNT}, conflicts ${COUNT}, rejected ${COUNT} \\(${COUNT} keys/s(, ETA \\d+s)?\\)$`,
);

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/**
 * Every stderr line is one of `patterns` (the first one that matches counts), in their order;
 * returns the counts each pattern's lines showed. At least one line per pattern.
 */
const progressOf = (result: CliResult, ...patterns: RegExp[]): number[][] => {
  const counts = patterns.map((): number[] => []);
  let at = 0;
  for (const line of linesOf(result.stderr)) {
    const index = patterns.findIndex((p) => p.test(line));
    assert.ok(index >= at, `unexpected stderr line ${JSON.stringify(line)}\n${result.stderr}`);
    at = index;
    counts[index].push(Number(patterns[index].exec(line)?.[1].replaceAll(',', '')));
  }
  for (const [i, seen] of counts.entries()) {
    assert.ok(seen.length > 0, `no line matches ${String(patterns[i])}\n${result.stderr}`);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'the counts only grow',
    );
  }
  return counts;
};

/** Stdout is exactly one JSON document. */
const documentOf = <T>(result: CliResult): T => {
  assert.ok(result.stdout.endsWith('}\n'), result.stdout.slice(-200));
  return JSON.parse(result.stdout) as T;
};

describe('CLI progress: on stderr, paced, never in the --json document', () => {
  let redis: Redis;
  let databaseUrl: string;
  let dir: string;
  let backup: BackupSummary;

  const stores = () => ({
    DATABASE_URL: databaseUrl,
    TENANT_KEY_PREFIX: PREFIX,
    BACKUP_DIR: dir,
    MIGRATION_BATCH_SIZE: '500',
  });
  const cli = (args: string[]) => runCli(args, { ...stores(), PROGRESS_INTERVAL_MS: '0' });

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    dir = await mkdtemp(join(tmpdir(), 'tm-cli-progress-'));
    databaseUrl = await createTestDatabase('cli_progress');
    const seed = redis.pipeline();
    for (let i = 0; i < TENANTS; i++)
      seed.set(`${PREFIX}shop-${String(i).padStart(5, '0')}`, legacy('🍕', 1700000000000 + i));
    await seed.exec();
  });
  after(async () => {
    await deleteByPattern(redis, `${NAMESPACE}*`);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes no progress line for a command that ends within the interval (5 s by default)', async () => {
    const result = await runCli(['validate', '--json'], stores());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(documentOf<ValidationReport>(result).scanned, TENANTS);
    assert.equal(result.stderr, '');
  });

  it('validate --json: a line per batch of keys on stderr, the report alone on stdout', async () => {
    const result = await cli(['validate', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(documentOf<ValidationReport>(result).valid, TENANTS);
    const [counts] = progressOf(result, countLine('validating', 'keys'));
    assert.ok(counts.length >= 2 && counts.at(-1)! <= TENANTS, String(counts));
  });

  it('check and the root --check: the keys compared so far', async () => {
    for (const args of [
      ['check', '--json'],
      ['--check', '--json'],
    ]) {
      const result = await cli(args);
      // Nothing is migrated yet: every key is only in Redis.
      assert.equal(result.code, 1, result.stderr);
      assert.equal(documentOf<IntegrityReport>(result).onlyInRedis, TENANTS, args.join(' '));
      const [counts] = progressOf(result, countLine('checking', 'keys'));
      assert.ok(counts.at(-1)! <= TENANTS, String(counts));
    }
  });

  it('migrate keeps its own line, at the same pace', async () => {
    const result = await cli(['migrate', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(documentOf<MigrationResult>(result).counts.migrated, TENANTS);
    const [scanned] = progressOf(result, MIGRATE_LINE);
    assert.ok(scanned.length >= 2, String(scanned));
  });

  it('backup and the root --backup: the keys written so far', async () => {
    const result = await cli(['backup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    backup = documentOf<BackupSummary>(result);
    assert.equal(backup.entryCount, TENANTS);
    progressOf(result, countLine('backing up', 'keys'));

    const root = await cli(['--backup', '--json']);
    assert.equal(root.code, 0, root.stderr);
    assert.equal(documentOf<BackupSummary>(root).entryCount, TENANTS);
    progressOf(root, countLine('backing up', 'keys'));
  });

  it('backup verify: entries of the recorded count, with an ETA; a file no record names shows the count alone', async () => {
    const result = await cli(['backup', 'verify', backup.id, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(documentOf<BackupVerifyReport>(result).ok, true);
    assert.deepEqual(progressOf(result, countLine('verifying backup', 'entries', '2,500')), [
      [1000, 2000],
    ]);

    const copy = join(dir, 'copy.ndjson.gz');
    await writeFile(copy, await readFile(backup.path));
    const unrecorded = await cli(['backup', 'verify', copy, '--json']);
    assert.equal(unrecorded.code, 0, unrecorded.stderr);
    assert.equal(documentOf<BackupVerifyReport>(unrecorded).backup, null);
    assert.deepEqual(progressOf(unrecorded, countLine('verifying backup', 'entries')), [
      [1000, 2000],
    ]);
  });

  it('restore: the verification first, then the restore, each of the entry count', async () => {
    // Into the Redis it was taken from, unchanged since: every key is already there as it was.
    const result = await cli(['restore', backup.id, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = documentOf<RedisRestoreReport>(result);
    assert.deepEqual([report.entries, report.unchanged, report.restored], [TENANTS, TENANTS, 0]);
    assert.deepEqual(
      progressOf(
        result,
        countLine('verifying backup', 'entries', '2,500'),
        countLine('restoring', 'entries', '2,500'),
      ),
      [
        [1000, 2000],
        [1000, 2000],
      ],
    );

    const dry = await cli(['restore', backup.id, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      progressOf(
        dry,
        countLine('verifying backup', 'entries', '2,500'),
        countLine('restore dry run', 'entries', '2,500'),
      ),
      [
        [1000, 2000],
        [1000, 2000],
      ],
    );
  });

  it('a refused restore: its progress lines come before its error line, stdout holds the failure document', async () => {
    // The file without its trailer: every entry reads, the verification fails at the end.
    const lines = gunzipSync(await readFile(backup.path))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const damaged = join(dir, 'damaged.ndjson.gz');
    await writeFile(damaged, gzipSync(`${lines.slice(0, -1).join('\n')}\n`));
    const result = await cli(['restore', damaged, '--json']);
    assert.equal(result.code, 2, result.stderr);
    const failure = failureOf(result);
    assert.equal(failure.code, 'invalid-backup');
    const stderr = linesOf(result.stderr);
    assert.match(stderr.at(-1)!, /^tenant-migrate: refusing to restore /);
    assert.deepEqual(
      progressOf(
        { ...result, stderr: stderr.slice(0, -1).join('\n') },
        countLine('verifying backup', 'entries'),
      ),
      [[1000, 2000]],
    );
  });

  it('cleanup: the backup verified again, then its keys examined, of its entry count', async () => {
    // The preview: the backup verified above is the newest verified one.
    const result = await cli(['cleanup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const cleanup = documentOf<CleanupResult>(result);
    assert.deepEqual([cleanup.backupId, cleanup.examined], [backup.id, TENANTS]);
    assert.deepEqual(
      progressOf(
        result,
        countLine('verifying backup', 'entries', '2,500'),
        countLine('cleanup preview', 'keys', '2,500'),
      ),
      // The examination reports after every batch, the last one too.
      [
        [1000, 2000],
        [1000, 2000, 2500],
      ],
    );
  });
});
