/**
 * The CLI's fault table for paths: every command that takes a path (a backup to `restore`,
 * `restore-postgres` or `backup verify`; where `backup --out`, `BACKUP_DIR` and
 * `report --out-dir` write) against a missing, empty, truncated, altered or foreign file, a
 * folder, a file it cannot read and a folder it cannot write (as uid 65534: root reads and
 * writes everything), and a full disk (a small real tmpfs). Each row runs the real CLI and
 * is judged by test/support/cli-fault-table.ts: the documented exit code, one
 * `tenant-migrate: <reason>` line, no stack trace, stdout empty or one JSON document.
 */
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import { BackupService, MigrationService } from '#tenant-migration';
import {
  createContextOverRedis,
  createTestDatabase,
  testNamespace,
} from './support/test-stores.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { mountTmpfs, unmountTmpfs } from './support/tmpfs.js';
import { legacy } from './support/tenant-fixtures.js';
import { faultRowTest, NOBODY, type CliFaultRow, type CliRun } from './support/cli-fault-table.js';

const PREFIX = `${testNamespace('fault_table_cli_paths')}subdomain:`;
const TENANTS = 300;
/** Incompressible values (rejected as tenants, backed up like any key): a Redis backup of them fills a 64 KiB disk. */
const BLOBS = 4;
const NO_TMPFS = 'this sandbox refuses tmpfs mounts: no real full disk to test with';

let redis: PrivateRedis;
let databaseUrl: string;
/** Fixtures: world-readable, so uid 65534 meets only the faults it is meant to meet. */
let files: string;
/** Where backups go by default. */
let backupDir: string;
/** A 64 KiB tmpfs: a Redis backup of the blobs fills it. */
let smallDisk: string | null;
/** A 16 KiB tmpfs filled to the last byte: any write fails. */
let fullDisk: string | null;

const file = (name: string): string => join(files, name);
const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redis.url,
  TENANT_KEY_PREFIX: PREFIX,
  BACKUP_DIR: backupDir,
  ...extra,
});
/** A row's command line, made once `before` has made the files it names. */
const run =
  (args: () => string[], more: Partial<CliRun> = {}): (() => Promise<CliRun>) =>
  () =>
    Promise.resolve({ args: args(), env: env(), ...more });
const asNobody = (args: () => string[]): (() => Promise<CliRun>) => run(args, { spawn: NOBODY });
const tenantRows = async (): Promise<number> => {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);
  } finally {
    await db.end();
  }
};
/** What a full-disk row may leave: nothing but the filler that fills the disk. */
const leftOn = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name !== 'filler');

/** The commands that read a backup, with the words their answers use. */
const READERS = [
  { command: 'restore <backup>', args: (path: string) => ['restore', path], damaged: 'refused' },
  {
    command: 'restore-postgres <backup> --dry-run',
    args: (path: string) => ['restore-postgres', path, '--dry-run'],
    damaged: 'refused',
  },
  {
    command: 'backup verify <backup>',
    args: (path: string) => ['backup', 'verify', path],
    damaged: 'reported',
  },
] as const;

/**
 * A damaged file: a restore refuses it (exit 2, its problems on the line); `backup verify`
 * reports them (exit 1, `ok: false` and each problem in the document).
 */
const damaged = (
  reader: (typeof READERS)[number],
  fault: string,
  name: string,
  problem: RegExp,
): CliFaultRow =>
  reader.damaged === 'refused'
    ? {
        command: reader.command,
        fault,
        code: 2,
        reason: new RegExp(`^refusing to restore .*${name}: .*${problem.source}`),
        prepare: run(() => reader.args(file(name))),
      }
    : {
        command: reader.command,
        fault,
        code: 1,
        reason: new RegExp(`"ok": false[\\s\\S]*${problem.source}`),
        prepare: run(() => reader.args(file(name))),
      };

const backupReaderRows: CliFaultRow[] = READERS.flatMap((reader) => [
  {
    command: reader.command,
    fault: 'a missing file',
    code: 2,
    reason: /^no backup file at \/.*\/missing\.ndjson\.gz$/,
    prepare: run(() => reader.args(file('missing.ndjson.gz'))),
  },
  damaged(reader, 'an empty file', 'empty.ndjson.gz', /unexpected end of file/),
  damaged(reader, 'a truncated file', 'truncated.ndjson.gz', /unexpected end of file|no trailer/),
  damaged(reader, 'garbage, not gzip', 'garbage.ndjson.gz', /incorrect header check/),
  {
    command: reader.command,
    fault: 'a folder',
    code: 2,
    reason: /^\/.*\/folder\.ndjson\.gz is a folder, not a backup file$/,
    prepare: run(() => reader.args(file('folder.ndjson.gz'))),
  },
  {
    command: reader.command,
    fault: 'a file it cannot read (uid 65534)',
    code: 2,
    reason: /^cannot read the backup \/.*\/unreadable\.ndjson\.gz: permission denied$/,
    prepare: asNobody(() => reader.args(file('unreadable.ndjson.gz'))),
  },
  {
    command: reader.command,
    fault: 'a path through a file',
    code: 2,
    reason: /^no backup file at \/.*\/plain-file\/x\.ndjson\.gz$/,
    prepare: run(() => reader.args(join(file('plain-file'), 'x.ndjson.gz'))),
  },
]);

const backupKindRows: CliFaultRow[] = [
  damaged(
    READERS[0],
    'gzip, but not a backup',
    'not-a-backup.ndjson.gz',
    /not a tenant-migrate backup/,
  ),
  damaged(
    READERS[0],
    'an altered entry',
    'altered.ndjson.gz',
    /the checksum does not match: the file was altered/,
  ),
  damaged(
    READERS[2],
    'an altered entry',
    'altered.ndjson.gz',
    /the checksum does not match: the file was altered/,
  ),
  {
    command: 'restore <backup>',
    fault: 'a PostgreSQL backup',
    code: 2,
    reason: /^\/.*\/tenants\.ndjson\.gz is a postgres backup, not a redis backup$/,
    prepare: run(() => ['restore', file('tenants.ndjson.gz')]),
  },
  {
    command: 'restore-postgres <backup> --yes',
    fault: 'a Redis backup',
    code: 2,
    reason: /^\/.*\/redis\.ndjson\.gz is a redis backup, not a postgres backup$/,
    prepare: run(() => ['restore-postgres', file('redis.ndjson.gz'), '--yes']),
  },
  {
    command: 'restore-postgres <backup> --yes',
    fault: 'a truncated file (no row replaced)',
    code: 2,
    reason: /^refusing to restore .*truncated-tenants\.ndjson\.gz: /,
    prepare: run(() => ['restore-postgres', file('truncated-tenants.ndjson.gz'), '--yes'], {
      check: async () =>
        assert.equal(await tenantRows(), TENANTS, 'the tenants table is untouched'),
    }),
  },
];

const backupWriterRows: CliFaultRow[] = [
  {
    command: 'backup --out <path>',
    fault: 'a file is there',
    code: 2,
    reason:
      /^\/.*\/taken\.ndjson\.gz already exists: a backup never replaces a file; choose another path$/,
    prepare: run(() => ['backup', '--out', file('taken.ndjson.gz')], {
      check: async () =>
        assert.equal(
          await readFile(file('taken.ndjson.gz'), 'utf8'),
          'an earlier file',
          'the file is untouched',
        ),
    }),
  },
  {
    command: 'backup --out <path>',
    fault: 'a folder is there',
    code: 2,
    reason: /^\/.*\/folder\.ndjson\.gz already exists: a backup never replaces a file/,
    prepare: run(() => ['backup', '--out', file('folder.ndjson.gz')]),
  },
  {
    command: 'backup --out <path>',
    fault: 'its folder is a file',
    code: 2,
    reason: /^cannot write the backup .*: its folder \/.*\/plain-file is not a folder$/,
    prepare: run(() => ['backup', '--out', join(file('plain-file'), 'x.ndjson.gz')]),
  },
  {
    command: 'backup --out <path>',
    fault: 'a folder it cannot write (uid 65534)',
    code: 2,
    reason: /^cannot write the backup .*: its folder \/.*\/unwritable is not writable$/,
    prepare: asNobody(() => ['backup', '--out', join(file('unwritable'), 'x.ndjson.gz')]),
  },
  {
    command: 'backup --out <path>',
    fault: 'not a .gz name',
    code: 2,
    reason: /^a backup path must end in \.gz, got \/.*\/backup\.ndjson$/,
    prepare: run(() => ['backup', '--out', file('backup.ndjson')]),
  },
  {
    command: 'backup --out <path>',
    fault: 'a missing folder (created)',
    code: 0,
    reason: new RegExp(`"entryCount": ${TENANTS + BLOBS}`),
    prepare: run(() => ['backup', '--out', join(file('new'), 'deeper', 'x.ndjson.gz')], {
      check: async () =>
        assert.deepEqual(await readdir(join(file('new'), 'deeper')), ['x.ndjson.gz']),
    }),
  },
  {
    command: 'backup --out <path>',
    fault: 'the disk fills up (64 KiB tmpfs)',
    code: 3,
    reason: /^the disk is full: could not write the backup .*redis\.ndjson\.gz.*ENOSPC/,
    prepare: () =>
      Promise.resolve(
        smallDisk
          ? {
              args: ['backup', '--out', join(smallDisk, 'redis.ndjson.gz')],
              env: env(),
              check: async () =>
                assert.deepEqual(await leftOn(smallDisk ?? ''), [], 'no .partial is left'),
            }
          : NO_TMPFS,
      ),
  },
  {
    command: 'backup --postgres --out <path>',
    fault: 'a full disk',
    code: 3,
    reason: /^the disk is full: could not write the backup .*tenants\.ndjson\.gz.*ENOSPC/,
    prepare: () =>
      Promise.resolve(
        fullDisk
          ? {
              args: ['backup', '--postgres', '--out', join(fullDisk, 'tenants.ndjson.gz')],
              env: env(),
              check: async () =>
                assert.deepEqual(await leftOn(fullDisk ?? ''), [], 'no .partial is left'),
            }
          : NO_TMPFS,
      ),
  },
  {
    command: 'backup (BACKUP_DIR)',
    fault: 'BACKUP_DIR is a file',
    code: 2,
    reason: /^cannot write the backup .*: its folder \/.*\/plain-file is not a folder$/,
    prepare: () =>
      Promise.resolve({ args: ['backup'], env: env({ BACKUP_DIR: file('plain-file') }) }),
  },
];

const reportRows: CliFaultRow[] = [
  {
    command: 'report --out-dir <dir>',
    fault: 'a file, not a folder',
    code: 2,
    reason: /^cannot write the report into \/.*\/plain-file: it is not a folder$/,
    prepare: run(() => ['report', '--out-dir', file('plain-file')]),
  },
  {
    command: 'report --out-dir <dir>',
    fault: 'a path through a file',
    code: 2,
    reason: /^cannot write the report into \/.*\/plain-file\/reports: it is not a folder$/,
    prepare: run(() => ['report', '--out-dir', join(file('plain-file'), 'reports')]),
  },
  {
    command: 'report --out-dir <dir>',
    fault: 'a folder it cannot write (uid 65534)',
    code: 2,
    reason: /^cannot write the report into \/.*\/unwritable: it is not writable$/,
    prepare: asNobody(() => ['report', '--out-dir', file('unwritable')]),
  },
  {
    command: 'report --out-dir <dir>',
    fault: 'a full disk',
    code: 3,
    reason: /the disk is full: could not write the report \/.*ENOSPC/,
    prepare: () =>
      Promise.resolve(
        fullDisk
          ? {
              args: ['report', '--out-dir', join(fullDisk, 'reports')],
              env: env(),
              check: async () =>
                assert.deepEqual(
                  await readdir(join(fullDisk ?? '', 'reports')),
                  [],
                  'no partial report is left',
                ),
            }
          : NO_TMPFS,
      ),
  },
  {
    command: 'report --out-dir <dir>',
    fault: 'a missing folder (created)',
    code: 0,
    reason: /"consistent": true/,
    prepare: run(() => ['report', '--out-dir', join(file('new-reports'), 'deeper')], {
      check: async () =>
        assert.equal(
          (await readdir(join(file('new-reports'), 'deeper'))).length,
          2,
          'the JSON and Markdown files',
        ),
    }),
  },
];

describe('CLI fault table: paths', { concurrency: 4 }, () => {
  let client: Redis;
  let context: INestApplicationContext;

  before(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    const seed = client.pipeline();
    for (let i = 0; i < TENANTS; i++)
      seed.set(`${PREFIX}tenant-${i}`, legacy('🍕', 1700000000000 + i));
    for (let i = 0; i < BLOBS; i++) seed.set(`${PREFIX}blob-${i}`, randomBytes(100_000));
    await seed.exec();
    databaseUrl = await createTestDatabase('fault_table_cli_paths');
    files = await mkdtemp(join(tmpdir(), 'tm-fault-table-paths-'));
    backupDir = join(files, 'backups');
    [smallDisk, fullDisk] = await Promise.all([mountTmpfs('size=64k'), mountTmpfs('size=16k')]);

    // The backups the damaged files are made from, and tenants for a PostgreSQL backup.
    context = await createContextOverRedis(databaseUrl, client, { keyPrefix: PREFIX, backupDir });
    await context.get(MigrationService).migrate({});
    const backups = context.get(BackupService);
    await backups.backupRedis({ outPath: file('redis.ndjson.gz') });
    await backups.backupPostgres({ outPath: file('tenants.ndjson.gz') });
    const redisBackup = await readFile(file('redis.ndjson.gz'));
    const tenantsBackup = await readFile(file('tenants.ndjson.gz'));
    const lines = gunzipSync(redisBackup).toString('utf8').split('\n');
    lines[1] = `${lines[1]} `;
    await Promise.all([
      writeFile(file('empty.ndjson.gz'), ''),
      writeFile(
        file('truncated.ndjson.gz'),
        redisBackup.subarray(0, Math.floor(redisBackup.length / 2)),
      ),
      writeFile(
        file('truncated-tenants.ndjson.gz'),
        tenantsBackup.subarray(0, Math.floor(tenantsBackup.length / 2)),
      ),
      writeFile(
        file('garbage.ndjson.gz'),
        Buffer.concat([Buffer.from('this is not gzip\n'), randomBytes(512)]),
      ),
      writeFile(file('not-a-backup.ndjson.gz'), gzipSync('hello\nworld\n')),
      writeFile(file('altered.ndjson.gz'), gzipSync(lines.join('\n'))),
      writeFile(file('taken.ndjson.gz'), 'an earlier file'),
      writeFile(file('plain-file'), ''),
      copyFile(file('redis.ndjson.gz'), file('unreadable.ndjson.gz')),
      mkdir(file('folder.ndjson.gz')),
      mkdir(file('unwritable')),
    ]);
    // Root's own, so uid 65534 can read and pass through everything but these two.
    for (const name of await readdir(files)) await chmod(file(name), 0o644);
    await Promise.all([
      chmod(files, 0o755),
      chmod(file('folder.ndjson.gz'), 0o755),
      chmod(file('unwritable'), 0o755),
      chmod(file('unreadable.ndjson.gz'), 0o600),
    ]);
    if (fullDisk) {
      // Fill it: every later write on it fails with ENOSPC.
      const filler = join(fullDisk, 'filler');
      await writeFile(filler, Buffer.alloc(16 * 1024, 1)).catch(() => undefined);
    }
    if (!smallDisk || !fullDisk)
      process.stderr.write(`# ${NO_TMPFS}: the full-disk rows are skipped\n`);
  });

  after(async () => {
    await context?.close();
    client?.disconnect();
    await stopAllPrivateRedis();
    await unmountTmpfs(smallDisk ?? null);
    await unmountTmpfs(fullDisk ?? null);
    if (files) await rm(files, { recursive: true, force: true });
  });

  for (const row of [...backupReaderRows, ...backupKindRows, ...backupWriterRows, ...reportRows])
    faultRowTest(row);
});
