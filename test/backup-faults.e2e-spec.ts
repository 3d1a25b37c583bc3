/**
 * Backups when the file system says no: a missing, folder or removed backup file, a full disk
 * (a real one: a small tmpfs this file mounts, never a simulated error), a folder that cannot
 * be written, and a path already taken by an earlier backup. The CLI runs as a child process;
 * the admin app runs in this process, so an unhandled stream 'error' would end this test run.
 * Redis is a private server, so its command counters show whether a refused backup read keys.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { BackupService } from '#tenant-migration';
import { createTestDatabase, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { runCli, type CliResult } from './support/cli.js';
import { bodyOf, type HealthBody, type DomainProblemBody } from './support/body.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { mountTmpfs, unmountTmpfs } from './support/tmpfs.js';

const PREFIX = `${testNamespace('backup_faults')}subdomain:`;
const TOKEN = 'tm-faults-test-token-0123456789ab';
const BASE = '/api/admin/migration';
const LEGACY = (emoji: string) => JSON.stringify({ emoji, createdAt: 1700000000000 });

/** One stderr line, `tenant-migrate: ...`, and no stack trace. */
const oneLine = (result: CliResult): void => {
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^tenant-migrate: /, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at |node:internal|Error: ENOENT/, 'no stack trace');
};

describe('backup faults: missing files, full disk, unusable folders, taken paths', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let db: pg.Client;
  let databaseUrl: string;
  let dir: string;
  /** 64 KiB: the keys below hold ~400 KiB of incompressible bytes, so a backup there fills it. */
  let full: string | null;
  let readOnly: string | null;
  let app: INestApplication<Server>;

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    TENANT_KEY_PREFIX: PREFIX,
    BACKUP_DIR: dir,
    ...extra,
  });
  const cli = (args: string[], extra?: Record<string, string>) => runCli(args, env(extra));
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await db.query<{ n: string }>(sql, params)).rows[0].n);
  /** How many keys Redis was asked to list or dump since the last reset: 0 means no key was read. */
  const keyReads = async (): Promise<number> => {
    const info = await client.info('commandstats');
    return [...info.matchAll(/^cmdstat_(scan|dump|type|pttl):calls=(\d+)/gm)].reduce(
      (sum, m) => sum + Number(m[2]),
      0,
    );
  };
  const http = () => request(app.getHttpServer());
  const auth = { Authorization: `Bearer ${TOKEN}` };

  before(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    for (const name of ['pizza', 'tacos', 'sushi'])
      await client.set(`${PREFIX}${name}`, LEGACY('🍕'));
    for (let i = 0; i < 4; i++) await client.set(`${PREFIX}blob-${i}`, randomBytes(100_000));
    databaseUrl = await createTestDatabase('backup_faults');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    dir = await mkdtemp(join(tmpdir(), 'tm-faults-'));
    full = await mountTmpfs('size=64k');
    readOnly = await mountTmpfs('ro,size=64k');

    // The admin app's backups go to the small tmpfs (or, without one, to the normal folder).
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: full ?? dir,
    });
  });

  after(async () => {
    await closeAdminApp(app);
    client?.disconnect();
    await stopAllPrivateRedis();
    await db?.end();
    await unmountTmpfs(full ?? null);
    await unmountTmpfs(readOnly ?? null);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('CLI: a missing path, a folder, or a missing file to restore or verify is one line and exit 2', async () => {
    const missing = join(dir, 'nonexistent.ndjson.gz');
    const cases: [args: string[], message: RegExp][] = [
      [['restore', missing], /no backup file at .*nonexistent\.ndjson\.gz/],
      [['restore', dir], /is a folder, not a backup file/],
      [['backup', 'verify', missing], /no backup file at/],
      [['restore-postgres', missing, '--dry-run'], /no backup file at/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      oneLine(result);
      assert.equal(result.stdout, '', 'stdout stays empty on failure');
    }
  });

  it('CLI: a read that fails on the device (EIO) is one line and exit 3, for every command that reads a backup', async () => {
    // A real I/O error without a broken disk: /proc/self/mem is a regular file whose first page
    // (address 0, never mapped) fails every read with EIO.
    for (const args of [
      ['backup', 'verify', '/proc/self/mem'],
      ['restore', '/proc/self/mem', '--dry-run'],
      ['restore-postgres', '/proc/self/mem', '--dry-run'],
    ]) {
      const result = await cli(args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /could not read the backup \/proc\/self\/mem: EIO/,
        args.join(' '),
      );
      oneLine(result);
      assert.equal(result.stdout, '', 'stdout stays empty on failure');
    }
  });

  it('CLI: cleanup whose verified backup lost its file is refused: one line, exit 2', async () => {
    // Taken and verified through the library (a child process each would only cost time).
    const backups = app.get(BackupService);
    const backup = await backups.backupRedis({ outPath: join(dir, 'to-remove.ndjson.gz') });
    assert.equal((await backups.verify(backup.id)).ok, true);
    await rm(backup.path);
    const result = await cli(['cleanup']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`backup ${backup.id} no longer verifies: no backup file at`),
    );
    oneLine(result);
  });

  it('admin: a cleanup preview whose backup file was removed answers 409 and the app keeps serving', async () => {
    // The newest verified backup of the prefix is the one the previous test removed.
    const res = await http().post(BASE).set(auth).send({ action: 'cleanup' });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    const refusal = bodyOf<DomainProblemBody>(res);
    assert.equal(refusal.error, 'cleanup-refused');
    assert.match(refusal.message, /no backup file at/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await http().get('/health');
    assert.equal(health.status, 200);
    assert.equal(bodyOf<HealthBody>(health).status, 'ok');
  });

  it('CLI: backup --out an existing file is refused (exit 2) before reading a key; the earlier backup stays', async () => {
    const out = join(dir, 'before-cutover.ndjson.gz');
    await app.get(BackupService).backupRedis({ outPath: out });
    const bytes = await readFile(out);
    const rows = await count('SELECT count(*) AS n FROM backups');
    await client.config('RESETSTAT');
    const again = await cli(['backup', '--out', out]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /already exists: a backup never replaces a file/);
    oneLine(again);
    assert.equal(await keyReads(), 0, 'no key was read');
    assert.equal(await count('SELECT count(*) AS n FROM backups'), rows, 'no second row');
    assert.deepEqual(await readFile(out), bytes, 'the earlier backup is untouched');
    assert.ok(!existsSync(`${out}.partial`));
    // Any file counts, not only a backup.
    const other = join(dir, 'notes.gz');
    await writeFile(other, 'not mine');
    await assert.rejects(app.get(BackupService).backupPostgres({ outPath: other }), {
      code: 'backup-exists',
    });
    assert.equal(await readFile(other, 'utf8'), 'not mine');
  });

  it('CLI: a backup into a folder that cannot be written fails (exit 2) before reading a key', async () => {
    const notAFolder = join(dir, 'plain-file');
    await writeFile(notAFolder, '');
    const targets = [
      join(notAFolder, 'sub', 'x.ndjson.gz'),
      ...(readOnly ? [join(readOnly, 'sub', 'x.ndjson.gz')] : []),
    ];
    if (!readOnly)
      process.stderr.write('# no read-only tmpfs here: only the not-a-folder case runs\n');
    for (const out of targets) {
      await client.config('RESETSTAT');
      const result = await cli(['backup', '--out', out]);
      assert.equal(result.code, 2, `${out}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /cannot write the backup .*: its folder .* (is not a folder|is on a read-only file system|does not exist)/,
      );
      oneLine(result);
      assert.equal(await keyReads(), 0, `${out}: no key was read`);
    }
  });

  it('CLI: a full disk during a backup is exit 3, leaves no .partial and records the failure', async (t) => {
    if (!full) return t.skip('this sandbox refuses tmpfs mounts: no real full disk to test with');
    const out = join(full, 'cli.ndjson.gz');
    const rows = await count('SELECT count(*) AS n FROM backups');
    const result = await cli(['backup', '--out', out]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(
      result.stderr,
      /the disk is full: could not write the backup .*cli\.ndjson\.gz.*ENOSPC/,
    );
    oneLine(result);
    assert.deepEqual(await readdir(full), [], 'neither the .partial nor a final file is left');
    assert.equal(await count('SELECT count(*) AS n FROM backups'), rows);
    const audit = await db.query<{ status: string; error: string }>(
      `SELECT status, outcome->>'error' AS error FROM audit_log WHERE action = 'backup.redis' AND params->>'outPath' = $1`,
      [out],
    );
    assert.equal(audit.rows.length, 1);
    assert.equal(audit.rows[0].status, 'failed');
    assert.match(audit.rows[0].error, /the disk is full/);
  });

  it('admin: a full disk during a backup answers 503, cleans up, audits, and the app keeps serving', async (t) => {
    if (!full) return t.skip('this sandbox refuses tmpfs mounts: no real full disk to test with');
    const failedBefore = await count(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'backup.redis' AND status = 'failed'`,
    );
    const res = await http().post(BASE).set(auth).send({ action: 'backup' });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    const failure = bodyOf<DomainProblemBody>(res);
    assert.equal(failure.error, 'backup-io');
    assert.match(failure.message, /the disk is full/);
    assert.deepEqual(await readdir(full), []);
    assert.equal(
      await count(
        `SELECT count(*) AS n FROM audit_log WHERE action = 'backup.redis' AND status = 'failed'`,
      ),
      failedBefore + 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await http().get('/health');
    assert.equal(health.status, 200);
    // And it still works once there is room: a PostgreSQL backup (a few rows) fits.
    await mkdir(full, { recursive: true });
    const small = await http().post(BASE).set(auth).send({ action: 'backup', postgres: true });
    assert.equal(small.status, 201, JSON.stringify(small.body));
  });
});
