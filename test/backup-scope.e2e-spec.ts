/**
 * A backup file covers itself whole and restores only what it was taken of: the checksum covers
 * the header (an edited scope, kind or id fails verification), and every entry must be sound and,
 * for Redis, name a key under the header's scope. A file that breaks either is refused before a
 * single key or row is written, even when its trailer adds up (a file built by hand, or edited by
 * someone who recomputed the checksum). Files of format version 1 (checksum over the entries
 * only) are still read.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import {
  BackupService,
  InvalidBackupError,
  type BackupHeader,
  type RedisBackupEntry,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  deleteByPattern,
  snapshotRedis,
  TEST_REDIS_URL,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';

const TARGET_DB = 13;

/** Writes a backup file the way the format describes, with a trailer that adds up (for `version`). */
const writeBackup = async (
  path: string,
  header: BackupHeader,
  entries: string[],
): Promise<void> => {
  const headerLine = `${JSON.stringify(header)}\n`;
  const body = entries.map((line) => `${line}\n`).join('');
  const hash = createHash('sha256');
  if (header.version >= 2) hash.update(headerLine);
  hash.update(body);
  const trailer = {
    entries: entries.length,
    bytes: Buffer.byteLength(body),
    sha256: hash.digest('hex'),
  };
  await writeFile(path, gzipSync(`${headerLine}${body}${JSON.stringify({ trailer })}\n`));
};

/** The lines of a backup file: header, entries, trailer. */
const linesOf = async (path: string): Promise<string[]> =>
  gunzipSync(await readFile(path))
    .toString('utf8')
    .split('\n')
    .filter(Boolean);

describe('backups cover their header and restore only their own scope', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let backups: BackupService;
  let dir: string;
  let target: Redis;
  let outside: string;
  const targetUrl = (() => {
    const url = new URL(TEST_REDIS_URL);
    url.pathname = `/${TARGET_DB}`;
    return url.toString();
  })();

  const key = (name: string) => `${stores.prefix}${name}`;
  /** The namespace of this file's keys: every key here, in scope or not, is under it. */
  const namespace = () => stores.prefix.replace(/subdomain:$/, '');
  const everything = async () => [
    ...(await snapshotRedis(target, `${namespace()}*`)).keys(),
    ...(await snapshotRedis(stores.redis, `${namespace()}*`)).keys(),
  ];

  /** A real backup of two tenants, and its header and entry lines. */
  const takeBackup = async (): Promise<{
    path: string;
    header: BackupHeader;
    entries: string[];
  }> => {
    await stores.redis.set(key('pizza'), JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await stores.redis.set(key('tacos'), JSON.stringify({ emoji: '🌮', createdAt: 1700000000000 }));
    const summary = await backups.backupRedis();
    const lines = await linesOf(summary.path);
    return {
      path: summary.path,
      header: JSON.parse(lines[0]) as BackupHeader,
      entries: lines.slice(1, -1),
    };
  };

  /** Verification fails naming `problem`, and a restore is refused with nothing written anywhere. */
  const refused = async (path: string, problem: RegExp): Promise<void> => {
    // The source keys are gone too, so that a restore into the configured Redis would show.
    await deleteByPattern(stores.redis, `${namespace()}*`);
    const report = await backups.verify(path);
    assert.equal(report.ok, false, `${path} verified`);
    assert.ok(
      report.problems.some((p) => problem.test(p)),
      report.problems.join('; '),
    );
    for (const request of [{ targetUrl }, {}, { targetUrl, overwrite: true }]) {
      await assert.rejects(
        backups.restoreRedis(path, request),
        (error: unknown) => error instanceof InvalidBackupError && problem.test(error.message),
      );
    }
    assert.deepEqual(await everything(), [], 'nothing was written');
  };

  before(async () => {
    stores = await createTestStores('backup_scope');
    dir = await mkdtemp(join(tmpdir(), 'tm-backup-scope-'));
    ctx = await createMigrationContext(stores, { backupDir: dir });
    backups = ctx.app.get(BackupService);
    target = new Redis(targetUrl);
    outside = `${namespace()}session:admin`;
  });
  after(async () => {
    await deleteByPattern(target, `${namespace()}*`);
    await deleteByPattern(stores.redis, `${namespace()}*`);
    target.disconnect();
    await ctx.close();
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await deleteByPattern(stores.redis, `${namespace()}*`);
    await deleteByPattern(target, `${namespace()}*`);
    await stores.clearDatabase();
  });

  it('a new backup is format version 2, verifies, and restores', async () => {
    const { path, header } = await takeBackup();
    assert.equal(header.version, 2);
    assert.equal((await backups.verify(path)).ok, true);
    const report = await backups.restoreRedis(path, { targetUrl });
    assert.equal(report.restored, 2);
  });

  it('an edited header fails the checksum: scope, kind, id or source', async () => {
    const { path, entries } = await takeBackup();
    const lines = await linesOf(path);
    const header = JSON.parse(lines[0]) as BackupHeader;
    const edits: [string, BackupHeader][] = [
      ['a wider scope', { ...header, scope: namespace() }],
      ['another id', { ...header, id: '00000000-0000-4000-8000-000000000001' }],
      ['another source', { ...header, source: { ...header.source, database: '0' } }],
      ['another time', { ...header, createdAt: '2020-01-01T00:00:00.000Z' }],
    ];
    assert.equal(entries.length, 2);
    for (const [label, edited] of edits) {
      const copy = join(dir, `edited-${label.replace(/\W+/g, '-')}.ndjson.gz`);
      await writeFile(
        copy,
        gzipSync(`${[JSON.stringify(edited), ...lines.slice(1)].join('\n')}\n`),
      );
      await refused(copy, /checksum does not match/);
    }
  });

  it('refuses a key outside the scope, even in a file whose checksum adds up', async () => {
    const { header, entries } = await takeBackup();
    const entry = JSON.parse(entries[0]) as RedisBackupEntry;
    const cases: [string, string][] = [
      ['another prefix', outside],
      ['the prefix without its last character', key('').slice(0, -1)],
      ['a key that only contains the prefix', `x${key('pizza')}`],
    ];
    for (const [label, name] of cases) {
      const path = join(dir, `outside-${label.replace(/\W+/g, '-')}.ndjson.gz`);
      await writeBackup(path, header, [
        ...entries,
        JSON.stringify({ ...entry, k: Buffer.from(name).toString('base64') }),
      ]);
      await refused(path, /outside the backup's scope/);
    }
  });

  it('refuses damaged entries whose checksum adds up, and lists the first few with their line', async () => {
    const { header, entries } = await takeBackup();
    const entry = JSON.parse(entries[0]) as RedisBackupEntry;
    const damaged: [string, string, RegExp][] = [
      ['not JSON', '{"k":', /not JSON/],
      ['an array', '[1,2]', /not a JSON object/],
      ['no key', JSON.stringify({ ...entry, k: undefined }), /no key/],
      ['a key that is not base64', JSON.stringify({ ...entry, k: 'not base64!' }), /no key/],
      ['no value', JSON.stringify({ ...entry, d: '' }), /no value/],
      ['a value that is not base64', JSON.stringify({ ...entry, d: '%%%%' }), /no value/],
      ['a type that is not one', JSON.stringify({ ...entry, t: 'none' }), /no type/],
      ['an expiry that is not a time', JSON.stringify({ ...entry, e: 'soon' }), /no valid expiry/],
    ];
    for (const [label, line, problem] of damaged) {
      const path = join(dir, `damaged-${label.replace(/\W+/g, '-')}.ndjson.gz`);
      await writeBackup(path, header, [...entries, line]);
      await refused(path, new RegExp(`line 4: .*${problem.source}`));
    }
    const many = join(dir, 'many-damaged.ndjson.gz');
    await writeBackup(many, header, [...entries, ...Array.from({ length: 12 }, () => '{}')]);
    const report = await backups.verify(many);
    assert.equal(
      report.problems.filter((p) => /^line \d+: /.test(p)).length,
      5,
      report.problems.join('; '),
    );
    assert.ok(
      report.problems.includes('7 more damaged or out-of-scope entries'),
      report.problems.join('; '),
    );
  });

  it('a PostgreSQL backup row with the wrong number of fields is refused before the table is touched', async () => {
    await stores.redis.set(key('pizza'), JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await ctx.migrations.migrate();
    const summary = await backups.backupPostgres();
    const lines = await linesOf(summary.path);
    const header = JSON.parse(lines[0]) as BackupHeader;
    const path = join(dir, 'short-row.ndjson.gz');
    await writeBackup(path, header, [...lines.slice(1, -1), 'only\ttwo']);
    const report = await backups.verify(path);
    assert.ok(
      report.problems.some((p) => /line 3: the row has 2 fields/.test(p)),
      report.problems.join('; '),
    );
    await assert.rejects(backups.restorePostgres(path), InvalidBackupError);
    assert.equal(
      (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0].n,
      1,
      'the table is as it was',
    );
  });

  it('still reads a version 1 file (checksum over the entries only), and checks its scope too', async () => {
    const { header, entries } = await takeBackup();
    const v1 = { ...header, version: 1 };
    const good = join(dir, 'v1.ndjson.gz');
    await writeBackup(good, v1, entries);
    assert.deepEqual((await backups.verify(good)).problems, []);
    assert.equal((await backups.restoreRedis(good, { targetUrl })).restored, 2);

    await deleteByPattern(target, `${namespace()}*`);
    const entry = JSON.parse(entries[0]) as RedisBackupEntry;
    const bad = join(dir, 'v1-outside.ndjson.gz');
    await writeBackup(bad, v1, [
      ...entries,
      JSON.stringify({ ...entry, k: Buffer.from(outside).toString('base64') }),
    ]);
    await refused(bad, /outside the backup's scope/);
  });

  it('a format version it does not know is refused with the versions it reads', async () => {
    const { header, entries } = await takeBackup();
    const path = join(dir, 'v9.ndjson.gz');
    await writeBackup(path, { ...header, version: 9 }, entries);
    await refused(
      path,
      /format version 9 is not supported \(this version reads 1 and 2; it writes 2\)/,
    );
  });
});
