/**
 * The backup and restore commands of the CLI end to end: the compiled main.js as a child
 * process, against the real PostgreSQL (own database) and Redis (own key prefix; restores go
 * to database 13, only under that prefix), with backups in a temporary folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  redactUrl,
  type BackupSummary,
  type BackupVerifyReport,
  type PostgresRestoreReport,
  type RedisRestoreReport,
} from '#tenant-migration';
import { createTestDatabase, TEST_REDIS_URL, testNamespace } from './support/test-stores.js';
import { failureOf, runCli, type CliResult } from './support/cli.js';

const NAMESPACE = testNamespace('backup_cli');
const PREFIX = `${NAMESPACE}subdomain:`;
const SECRET = 'Sup3r-Secret-Target-Pw';
const ACTOR = `cli:${userInfo().username}`;
const LEGACY = (emoji: string, createdAt = 1700000000000) => JSON.stringify({ emoji, createdAt });

/** The same Redis server, another database: restores land here, never in the source. */
const redisUrlFor = (database: number, password?: string): string => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${database}`;
  if (password) {
    // `AUTH default <password>` is accepted by a server whose default user has no password.
    url.username = 'default';
    url.password = password;
  }
  return url.toString();
};
const TARGET_URL = redisUrlFor(13);

/** Deletes every key of this file's namespace, binary-safe (SCAN + DEL, never FLUSHDB). */
const clearNamespace = async (client: Redis): Promise<void> => {
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${NAMESPACE}*`, 'COUNT', 1000);
    cursor = String(next);
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
};

interface KeyState {
  type: string;
  /** DUMP payload, hex: the exact bytes of the value and its type. */
  dump: string;
  /** Absolute expiry in epoch ms, or null. */
  expiresAt: number | null;
}

/** Every key of the namespace, by its name's bytes in hex. */
const keyspace = async (client: Redis): Promise<Map<string, KeyState>> => {
  const keys = new Map<string, KeyState>();
  let cursor = '0';
  do {
    const [next, page] = await client.scanBuffer(cursor, 'MATCH', `${NAMESPACE}*`, 'COUNT', 1000);
    cursor = String(next);
    for (const key of page) {
      const [type, dump, pttl] = await Promise.all([
        client.type(key),
        client.dumpBuffer(key),
        client.pttl(key),
      ]);
      keys.set(key.toString('hex'), {
        type,
        dump: dump?.toString('hex') ?? '',
        expiresAt: pttl > 0 ? Date.now() + pttl : null,
      });
    }
  } while (cursor !== '0');
  return keys;
};

/** The two keyspaces hold the same keys with byte-identical values and expiries within 1 s. */
const assertSameKeyspace = (
  actual: Map<string, KeyState>,
  expected: Map<string, KeyState>,
): void => {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = actual.get(key)!;
    const name = Buffer.from(key, 'hex').toString('utf8');
    assert.equal(got.type, want.type, name);
    assert.equal(got.dump, want.dump, `${name}: DUMP payloads are byte-identical`);
    if (want.expiresAt === null) assert.equal(got.expiresAt, null, `${name} has no TTL`);
    else
      assert.ok(
        got.expiresAt !== null && Math.abs(got.expiresAt - want.expiresAt) <= 1000,
        `${name}: TTL within 1 s`,
      );
  }
};

const oneLine = (result: CliResult): void => {
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
};

describe('CLI: backup, verify, list and restore', () => {
  let source: Redis;
  let target: Redis;
  let db: pg.Client;
  let databaseUrl: string;
  let dir: string;
  let redisBackup: BackupSummary;
  /** The source keyspace when the backup was taken. */
  let atBackup: Map<string, KeyState>;
  const binaryKey = Buffer.concat([
    Buffer.from(`${PREFIX}bin-`),
    Buffer.from([0xff, 0xfe, 0x00, 0x01]),
  ]);

  const env = () => ({ DATABASE_URL: databaseUrl, TENANT_KEY_PREFIX: PREFIX, BACKUP_DIR: dir });
  const cli = (args: string[]) => runCli(args, env());
  const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T;
  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0].n);
  // written_xact records which transaction wrote the row (a restore writes every row anew), like xmin.
  const tenantsTable = async () =>
    (
      await db.query<{ t: Record<string, unknown> }>(
        `SELECT to_jsonb(t) - 'written_xact' AS t FROM tenants t ORDER BY subdomain`,
      )
    ).rows.map((r) => r.t);

  before(async () => {
    source = new Redis(TEST_REDIS_URL);
    target = new Redis(TARGET_URL);
    await Promise.all([clearNamespace(source), clearNamespace(target)]);
    dir = await mkdtemp(join(tmpdir(), 'tm-backup-cli-'));
    databaseUrl = await createTestDatabase('backup_cli');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();

    // Three valid tenants (one with a TTL) and keys of other types and a binary name.
    await source.set(`${PREFIX}pizza`, LEGACY('🍕'));
    await source.set(`${PREFIX}tacos`, LEGACY('🌮', 1700000000001), 'PX', 3_600_000);
    await source.set(`${PREFIX}sushi`, LEGACY('🍣', 1700000000002));
    await source.hset(`${PREFIX}profile-hash`, { plan: 'pro', seats: '3' });
    await source.rpush(`${PREFIX}visits-list`, 'a', 'b', 'c');
    await source.set(binaryKey, Buffer.from([0x00, 0xc3, 0x28, 0xff]), 'PX', 7_200_000);
  });

  after(async () => {
    await Promise.all([clearNamespace(source), clearNamespace(target)]);
    source.disconnect();
    target.disconnect();
    await db?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('restore-postgres refuses without --yes (exit 2) before touching anything', async () => {
    const result = await cli(['restore-postgres', randomUUID()]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /this replaces every row of tenants; pass --yes/);
    oneLine(result);
    assert.equal(await count('SELECT count(*) AS n FROM audit_log'), 0, 'nothing was attempted');
  });

  it('backup --json writes every key under the prefix to BACKUP_DIR and records it', async () => {
    atBackup = await keyspace(source);
    assert.equal(atBackup.size, 6);
    const result = await cli(['backup', '--json']);
    assert.equal(result.code, 0, result.stderr);
    redisBackup = json<BackupSummary>(result);
    assert.equal(redisBackup.kind, 'redis');
    assert.equal(redisBackup.scope, PREFIX);
    assert.equal(redisBackup.entryCount, 6);
    assert.ok(redisBackup.totalBytes > 0);
    assert.match(redisBackup.checksum, /^[0-9a-f]{64}$/);
    assert.equal(typeof redisBackup.durationMs, 'number');
    assert.ok(redisBackup.path.startsWith(dir), `${redisBackup.path} is in BACKUP_DIR`);
    assert.ok(existsSync(redisBackup.path));
    assert.equal(
      await count(`SELECT count(*) AS n FROM backups WHERE id = '${redisBackup.id}'`),
      1,
    );
  });

  it('backup list shows it; a bad --limit is a usage error', async () => {
    const list = await cli(['backup', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const backups = json<BackupSummary[]>(list);
    assert.deepEqual(
      backups.map((b) => b.id),
      [redisBackup.id],
    );
    assert.equal(backups[0].verifiedAt, null);
    const human = await cli(['backup', 'list']);
    assert.equal(human.code, 0);
    assert.match(
      human.stdout,
      new RegExp(`^${redisBackup.id}  redis .* never verified  ${redisBackup.path}$`, 'm'),
    );
    for (const args of [
      ['backup', 'list', '--limit', '0'],
      ['backup', 'list', 'extra'],
      ['backup', 'lisst'],
    ]) {
      const bad = await cli(args);
      assert.equal(bad.code, 2, args.join(' '));
      oneLine(bad);
    }
  });

  it('backup verify <id> is ok (exit 0) and marks the backup verified; by path too', async () => {
    const result = await cli(['backup', 'verify', redisBackup.id, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = json<BackupVerifyReport>(result);
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
    assert.equal(report.entries, 6);
    assert.equal(report.checksum, redisBackup.checksum);
    assert.equal(report.live, undefined);
    const byPath = await cli(['backup', 'verify', redisBackup.path]);
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.match(byPath.stdout, new RegExp(`^OK: redis backup ${redisBackup.id}, 6 entries`));
    const [listed] = json<BackupSummary[]>(await cli(['backup', 'list', '--json']));
    assert.notEqual(listed.verifiedAt, null);
  });

  it('backup verify of an unknown id is exit 2; without an argument, exit 2', async () => {
    const unknown = await cli(['backup', 'verify', randomUUID()]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no backup/);
    oneLine(unknown);
    const missing = await cli(['backup', 'verify']);
    assert.equal(missing.code, 2);
  });

  it('backup verify --live reports drift (missing 1, extra 1, changed 1) and still exits 0: the file is intact', async () => {
    await source.set(`${PREFIX}pizza`, LEGACY('🍕', 1700000009999));
    await source.del(`${PREFIX}sushi`);
    await source.set(`${PREFIX}newcomer`, LEGACY('🥐'));
    try {
      const result = await cli(['backup', 'verify', redisBackup.id, '--live', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const report = json<BackupVerifyReport>(result);
      assert.equal(report.ok, true);
      assert.deepEqual(
        {
          missing: report.live?.missing,
          extra: report.live?.extra,
          changed: report.live?.changed,
          unchanged: report.live?.unchanged,
        },
        { missing: 1, extra: 1, changed: 1, unchanged: 4 },
      );
      assert.deepEqual(report.live?.samples.map((s) => `${s.state} ${s.key}`).sort(), [
        `changed ${PREFIX}pizza`,
        `extra ${PREFIX}newcomer`,
        `missing ${PREFIX}sushi`,
      ]);
      const human = await cli(['backup', 'verify', redisBackup.id, '--live']);
      assert.equal(human.code, 0);
      assert.match(
        human.stdout,
        /Live Redis against the backup: unchanged 4, changed 1, missing 1, extra 1/,
      );
    } finally {
      await source.set(`${PREFIX}pizza`, LEGACY('🍕'));
      await source.set(`${PREFIX}sushi`, LEGACY('🍣', 1700000000002));
      await source.del(`${PREFIX}newcomer`);
    }
  });

  it('a truncated backup is refused by restore (exit 2, one line, nothing written) and fails verify (exit 1)', async () => {
    const gz = await readFile(redisBackup.path);
    const truncated = join(dir, 'truncated.ndjson.gz');
    await writeFile(truncated, gz.subarray(0, Math.floor(gz.length / 2)));
    const result = await cli(['restore', truncated, '--target-url', TARGET_URL, '--json']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /refusing to restore .*truncated/);
    oneLine(result);
    assert.equal(failureOf(result).code, 'invalid-backup');
    assert.equal((await keyspace(target)).size, 0, 'nothing was written to the target');
    const verify = await cli(['backup', 'verify', truncated, '--json']);
    assert.equal(verify.code, 1);
    const report = json<BackupVerifyReport>(verify);
    assert.equal(report.ok, false);
    assert.ok(report.problems.length > 0);
  });

  it('a tampered backup (one entry line altered, recompressed) is refused: exit 2, nothing written', async () => {
    const lines = gunzipSync(await readFile(redisBackup.path))
      .toString('utf8')
      .split('\n');
    const entry = JSON.parse(lines[1]) as { k: string };
    entry.k = Buffer.from(`${PREFIX}planted`).toString('base64');
    lines[1] = JSON.stringify(entry);
    const tampered = join(dir, 'tampered.ndjson.gz');
    await writeFile(tampered, gzipSync(lines.join('\n')));
    const result = await cli(['restore', tampered, '--target-url', TARGET_URL]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /refusing to restore .*the checksum does not match: the file was altered/,
    );
    oneLine(result);
    assert.equal((await keyspace(target)).size, 0, 'nothing was written to the target');
    const verify = await cli(['backup', 'verify', tampered]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /^FAILED/);
    assert.match(verify.stdout, /problem: the checksum does not match/);
  });

  it('restore --target-url restores every key byte-identical with its TTL', async () => {
    const result = await cli(['restore', redisBackup.id, '--target-url', TARGET_URL, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = json<RedisRestoreReport>(result);
    assert.equal(report.dryRun, false);
    assert.equal(report.backupId, redisBackup.id);
    assert.equal(report.entries, 6);
    assert.equal(report.restored, 6);
    assert.deepEqual(
      [report.unchanged, report.conflicts, report.overwritten, report.expired],
      [0, 0, 0, 0],
    );
    assertSameKeyspace(await keyspace(target), atBackup);
  });

  it('restoring again leaves a changed key alone and exits 1 (conflicts 1)', async () => {
    await target.set(`${PREFIX}pizza`, 'changed in the target');
    const result = await cli(['restore', redisBackup.id, '--target-url', TARGET_URL, '--json']);
    assert.equal(result.code, 1, result.stderr);
    const report = json<RedisRestoreReport>(result);
    assert.deepEqual(
      [report.restored, report.unchanged, report.conflicts, report.overwritten],
      [0, 5, 1, 0],
    );
    assert.deepEqual(report.samples, [{ key: `${PREFIX}pizza`, outcome: 'conflict' }]);
    assert.equal(await target.get(`${PREFIX}pizza`), 'changed in the target');
    const human = await cli(['restore', redisBackup.id, '--target-url', TARGET_URL]);
    assert.equal(human.code, 1);
    assert.match(
      human.stdout,
      /conflicts\s+1 {2}existing keys with another value, left alone \(--overwrite replaces them\)/,
    );
  });

  it('restore --dry-run writes nothing and never shows the target password', async () => {
    await target.del(`${PREFIX}sushi`);
    const before = await keyspace(target);
    const result = await cli([
      'restore',
      redisBackup.id,
      '--target-url',
      redisUrlFor(13, SECRET),
      '--overwrite',
      '--dry-run',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = json<RedisRestoreReport>(result);
    assert.equal(report.dryRun, true);
    assert.deepEqual(
      [report.restored, report.unchanged, report.conflicts, report.overwritten],
      [1, 4, 0, 1],
    );
    assert.equal(report.target, redactUrl(redisUrlFor(13, SECRET)));
    assert.match(report.target, /^redis:\/\/default:\*\*\*@/);
    assert.ok(!(result.stdout + result.stderr).includes(SECRET));
    assert.deepEqual(
      await keyspace(target).then((k) => [...k.keys()].sort()),
      [...before.keys()].sort(),
    );
    assert.equal(await target.get(`${PREFIX}pizza`), 'changed in the target');
  });

  it('restore --overwrite replaces the changed key and restores the deleted one', async () => {
    const result = await cli([
      'restore',
      redisBackup.id,
      '--target-url',
      TARGET_URL,
      '--overwrite',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = json<RedisRestoreReport>(result);
    assert.deepEqual(
      [report.restored, report.unchanged, report.conflicts, report.overwritten],
      [1, 4, 0, 1],
    );
    assertSameKeyspace(await keyspace(target), atBackup);
  });

  it('restore names an unreachable target without its password: exit 3', async () => {
    const result = await cli([
      'restore',
      redisBackup.id,
      '--target-url',
      `redis://default:${SECRET}@127.0.0.1:6390/13`,
    ]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /cannot reach Redis at redis:\/\/default:\*\*\*@127\.0\.0\.1:6390\/13/,
    );
    assert.ok(!result.stderr.includes(SECRET));
    oneLine(result);
  });

  it('restore takes its target from RESTORE_TARGET_URL too, so the password stays out of the process list', async () => {
    const result = await runCli(['restore', redisBackup.id], {
      ...env(),
      RESTORE_TARGET_URL: `redis://default:${SECRET}@127.0.0.1:6390/13`,
    });
    assert.equal(
      result.code,
      3,
      'the target of the environment is the one used (and it is unreachable)',
    );
    assert.match(
      result.stderr,
      /cannot reach Redis at redis:\/\/default:\*\*\*@127\.0\.0\.1:6390\/13/,
    );
    assert.ok(!result.stderr.includes(SECRET));
    const help = await runCli(['restore', '--help'], env());
    assert.match(help.stdout, /RESTORE_TARGET_URL/);
  });

  it('backup --out writes where it is told; a path without .gz is a usage error', async () => {
    const out = join(dir, 'nested', 'custom.ndjson.gz');
    const result = await cli(['backup', '--out', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<BackupSummary>(result).path, out);
    assert.ok(existsSync(out));
    const bad = await cli(['backup', '--out', join(dir, 'custom.txt')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a backup path must end in \.gz/);
    oneLine(bad);
    assert.ok(!existsSync(join(dir, 'custom.txt')));
  });

  it('the root --backup flag takes a Redis backup; combined with migration flags it is a usage error', async () => {
    const backupsBefore = await count('SELECT count(*) AS n FROM backups');
    for (const args of [
      ['--backup', '--dry-run'],
      ['--backup', '--batch-size', '10'],
      ['--backup', '--no-resume'],
      ['--backup', 'extra'],
    ]) {
      const bad = await cli(args);
      assert.equal(bad.code, 2, args.join(' '));
      oneLine(bad);
    }
    assert.equal(await count('SELECT count(*) AS n FROM backups'), backupsBefore);
    assert.equal(await count('SELECT count(*) AS n FROM tenants'), 0, 'nothing was migrated');
    const result = await cli(['--backup']);
    assert.equal(result.code, 0, result.stderr);
    const [, id] = /^Backup ([0-9a-f-]{36}) \(redis, prefix /.exec(result.stdout) ?? [];
    assert.ok(id, result.stdout);
    const [, path] = /^ {2}path {6}(.+)$/m.exec(result.stdout) ?? [];
    assert.ok(path?.startsWith(dir) && existsSync(path), result.stdout);
    assert.match(result.stdout, /^ {2}entries {3}6$/m);
    assert.match(result.stdout, /^ {2}bytes {5}[\d,]+ (\(\d+\.\d KiB\) )?uncompressed$/m);
    assert.match(result.stdout, /^ {2}checksum {2}sha256:[0-9a-f]{64}$/m);
    assert.match(result.stdout, /^ {2}duration {2}\d+\.\ds$/m);
    assert.equal(await count('SELECT count(*) AS n FROM backups'), backupsBefore + 1);
    assert.equal(await count('SELECT count(*) AS n FROM tenants'), 0, 'nothing was migrated');
  });

  it('backup --postgres then restore-postgres --yes puts the tenants table back exactly', async () => {
    // The binary-named key would only be quarantined by the migration (its name cannot be a
    // tenant); it is removed so that the counts below are about tenants alone.
    await source.del(binaryKey);
    const migrated = await cli(['migrate', '--json']);
    assert.equal(migrated.code, 1, migrated.stderr);
    const counts = json<{ counts: { migrated: number; rejected: number } }>(migrated).counts;
    assert.deepEqual(
      [counts.migrated, counts.rejected],
      [3, 2],
      'the hash and the list are rejected',
    );
    const original = await tenantsTable();
    assert.equal(original.length, 3);

    const taken = await cli(['backup', '--postgres', '--json']);
    assert.equal(taken.code, 0, taken.stderr);
    const pgBackup = json<BackupSummary>(taken);
    assert.equal(pgBackup.kind, 'postgres');
    assert.equal(pgBackup.entryCount, 3);

    // A changed row, a deleted row and a row that was not there.
    await db.query(
      `UPDATE tenants SET business_name = 'Changed', feature_whatsapp = NOT feature_whatsapp WHERE subdomain = 'pizza'`,
    );
    await db.query(`DELETE FROM tenants WHERE subdomain = 'sushi'`);
    await db.query(
      `INSERT INTO tenants SELECT (jsonb_populate_record(NULL::tenants, to_jsonb(t) || $1::jsonb)).* FROM tenants t WHERE subdomain = 'tacos'`,
      [JSON.stringify({ id: randomUUID(), subdomain: 'extra', source_key: null })],
    );
    const changed = await tenantsTable();
    assert.notDeepEqual(changed, original);

    // Kinds are not interchangeable.
    const wrongKind = await cli(['restore-postgres', redisBackup.id, '--yes']);
    assert.equal(wrongKind.code, 2);
    assert.match(wrongKind.stderr, /is a redis backup, not a postgres backup/);
    const wrongKind2 = await cli(['restore', pgBackup.id, '--target-url', TARGET_URL]);
    assert.equal(wrongKind2.code, 2);
    assert.match(wrongKind2.stderr, /is a postgres backup, not a redis backup/);

    const dry = await cli(['restore-postgres', pgBackup.id, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      (({ dryRun, rowsInBackup, rowsReplaced }) => ({ dryRun, rowsInBackup, rowsReplaced }))(
        json<PostgresRestoreReport>(dry),
      ),
      { dryRun: true, rowsInBackup: 3, rowsReplaced: 3 },
    );
    assert.deepEqual(await tenantsTable(), changed, 'a dry run writes nothing');

    const restored = await cli(['restore-postgres', pgBackup.id, '--yes']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(
      restored.stdout,
      new RegExp(`^Replaced the 3 rows of tenants with the 3 rows of backup ${pgBackup.id}`),
    );
    assert.deepEqual(await tenantsTable(), original, 'every column of every row is back');
  });

  it('the audit log records backups, verifications and restores with their outcome and no secrets', async () => {
    const { rows } = await db.query<{
      actor: string;
      action: string;
      status: string;
      params: Record<string, unknown>;
      outcome: Record<string, unknown>;
    }>('SELECT actor, action, status, params, outcome FROM audit_log ORDER BY id');
    const seen = new Set(rows.map((r) => `${r.action} ${r.status}`));
    for (const expected of [
      'backup.redis succeeded',
      'backup.postgres succeeded',
      'backup.verify succeeded',
      'backup.verify failed',
      'restore.redis succeeded',
      'restore.redis failed',
      'restore.postgres succeeded',
      'restore.postgres failed',
    ]) {
      assert.ok(seen.has(expected), `${expected} in ${[...seen].join(', ')}`);
    }
    assert.ok(
      rows.every((r) => r.actor === ACTOR),
      `every entry names ${ACTOR}`,
    );
    const dryRun = rows.find((r) => r.action === 'restore.redis' && r.params.dryRun === true);
    assert.equal(dryRun?.params.target, redactUrl(redisUrlFor(13, SECRET)));
    const refused = rows.find((r) => r.action === 'restore.redis' && r.status === 'failed');
    assert.match(String(refused?.outcome.error), /refusing to restore/);
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(SECRET), 'no password in the audit log');
  });
});
