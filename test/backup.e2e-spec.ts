import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { BackupService, InvalidBackupError, type RedisBackupEntry } from '#tenant-migration';
import { scanBackupFile } from '../libs/tenant-migration/src/backup/backup-file.js';
import { BackupFileWriter } from '../libs/tenant-migration/src/backup/backup-file-writer.js';
import {
  createMigrationContext,
  createTestStores,
  deleteByPattern,
  snapshotRedis,
  TEST_REDIS_URL,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';

const TARGET_DB = 12;

/**
 * Every key's type, whether it has a TTL, and contents read with plain commands, collections in
 * a canonical order: equal snapshots mean equal data, whatever the internal encoding. `expiries`
 * has each key's absolute expiry (epoch ms, from PTTL), for `assertSameExpiries`.
 */
const logicalSnapshot = async (
  redis: Redis,
  pattern: string,
  expiries = new Map<string, number>(),
): Promise<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  const hex = (items: Buffer[]) => items.map((b) => b.toString('hex'));
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = String(next);
    for (const key of keys) {
      const type = await redis.type(key);
      const pttl = await redis.pttl(key);
      let value: unknown;
      if (type === 'string') value = (await redis.getBuffer(key))?.toString('hex');
      else if (type === 'hash')
        value = hex((await redis.callBuffer('HGETALL', key)) as Buffer[])
          .reduce<string[][]>(
            (acc, item, i) => (i % 2 ? acc[acc.length - 1].push(item) : acc.push([item]), acc),
            [],
          )
          .sort();
      else if (type === 'list') value = hex(await redis.lrangeBuffer(key, 0, -1));
      else if (type === 'set') value = hex(await redis.smembersBuffer(key)).sort();
      else if (type === 'zset')
        value = hex((await redis.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[]);
      if (pttl > 0) expiries.set(key.toString('hex'), Date.now() + pttl);
      out[key.toString('hex')] = { type, ttl: pttl > 0 ? 'expires' : pttl, value };
    }
  } while (cursor !== '0');
  return out;
};

/** Both keyspaces' keys expire at the same time, within one second (a restore keeps the remaining TTL). */
const assertSameExpiries = (actual: Map<string, number>, expected: Map<string, number>): void => {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same keys expire');
  for (const [key, want] of expected) {
    const drift = (actual.get(key) ?? Number.NaN) - want;
    const name = Buffer.from(key, 'hex').toString('utf8');
    assert.ok(Math.abs(drift) <= 1000, `${name}: remaining TTL within one second (${drift} ms)`);
  }
};

describe('backup, verify and restore against the real Redis and PostgreSQL', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let backups: BackupService;
  let dir: string;
  let target: Redis;
  const targetUrl = (() => {
    const url = new URL(TEST_REDIS_URL);
    url.pathname = `/${TARGET_DB}`;
    return url.toString();
  })();

  const key = (name: string) => `${stores.prefix}${name}`;
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b, 0x0a, 0x0d]);

  /** One key of every type, a binary value, a binary key name, and TTLs. */
  const seedEveryType = async (): Promise<void> => {
    const r = stores.redis;
    await r.set(key('pizza'), JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await r.set(key('binary'), binary);
    await r.set(
      Buffer.concat([Buffer.from(key('raw-')), Buffer.from([0xc3, 0x28])]),
      'binary key name',
    );
    await r.set(
      key('expiring'),
      JSON.stringify({ emoji: '⚽', createdAt: 1700000000000 }),
      'PX',
      3_600_000,
    );
    await r.hset(key('hash'), { emoji: '🍕', note: 'über', empty: '' });
    await r.rpush(key('list'), 'a', 'b', 'a');
    await r.sadd(key('set'), 'x', 'y', 'z');
    await r.zadd(key('zset'), 1.5, 'one', -2, 'two');
    await r.expire(key('hash'), 7200);
  };
  const SEEDED = 8;

  before(async () => {
    stores = await createTestStores('backup');
    dir = await mkdtemp(join(tmpdir(), 'tm-backup-'));
    ctx = await createMigrationContext(stores, { backupDir: dir });
    backups = ctx.app.get(BackupService);
    target = new Redis(targetUrl);
  });
  after(async () => {
    await deleteByPattern(target, `${stores.prefix}*`);
    target.disconnect();
    await ctx.close();
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await deleteByPattern(target, `${stores.prefix}*`);
  });

  it('round-trips every type exactly into another Redis database (values, bytes, TTLs)', async () => {
    await seedEveryType();
    const summary = await backups.backupRedis({ actor: 'test' });
    assert.equal(summary.entryCount, SEEDED);
    assert.match(summary.checksum, /^[0-9a-f]{64}$/);
    assert.ok(summary.path.startsWith(dir) && summary.path.endsWith('.ndjson.gz'));
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.partial')),
      [],
      'no partial file left',
    );

    const report = await backups.restoreRedis(summary.id, { targetUrl });
    assert.equal(report.restored, SEEDED);
    assert.equal(report.conflicts + report.overwritten + report.expired + report.unchanged, 0);
    assert.doesNotMatch(report.target, /@/, 'no credentials in the report');

    const [sourceExpiries, restoredExpiries] = [
      new Map<string, number>(),
      new Map<string, number>(),
    ];
    const source = await logicalSnapshot(stores.redis, `${stores.prefix}*`, sourceExpiries);
    const restored = await logicalSnapshot(target, `${stores.prefix}*`, restoredExpiries);
    assert.equal(Object.keys(restored).length, SEEDED);
    assert.deepEqual(restored, source, 'same types, bytes and TTL presence');
    assert.equal(sourceExpiries.size, 2, 'two keys have a TTL');
    assertSameExpiries(restoredExpiries, sourceExpiries);
    for (const name of ['expiring', 'hash']) {
      const [a, b] = await Promise.all([stores.redis.pttl(key(name)), target.pttl(key(name))]);
      assert.ok(b > 0 && Math.abs(a - b) < 1000, `${name}: TTL within a second (${a} vs ${b})`);
    }
    assert.deepEqual(await target.getBuffer(key('binary')), binary);
    assert.equal(await target.pttl(key('pizza')), -1, 'no TTL stays no TTL');
  });

  it('restores into the same Redis without overwriting a changed key unless told to', async () => {
    await seedEveryType();
    const summary = await backups.backupRedis();
    await stores.redis.set(key('pizza'), 'changed after the backup');
    await stores.redis.del(key('list'));

    const preview = await backups.restoreRedis(summary.id, { dryRun: true });
    assert.deepEqual([preview.restored, preview.unchanged, preview.conflicts], [1, SEEDED - 2, 1]);
    assert.equal(await stores.redis.exists(key('list')), 0, 'a dry run writes nothing');

    const kept = await backups.restoreRedis(summary.id);
    assert.deepEqual(
      [kept.restored, kept.unchanged, kept.conflicts, kept.overwritten],
      [1, SEEDED - 2, 1, 0],
    );
    assert.deepEqual(kept.samples, [{ key: key('pizza'), outcome: 'conflict' }]);
    assert.equal(await stores.redis.get(key('pizza')), 'changed after the backup');
    assert.deepEqual(
      await stores.redis.lrange(key('list'), 0, -1),
      ['a', 'b', 'a'],
      'the deleted key is back',
    );

    const replaced = await backups.restoreRedis(summary.id, { overwrite: true });
    assert.deepEqual([replaced.overwritten, replaced.unchanged], [1, SEEDED - 1]);
    const pizza = JSON.parse((await stores.redis.get(key('pizza'))) ?? '{}') as { emoji?: string };
    assert.equal(pizza.emoji, '🍕');
  });

  it('verifies a backup, and compares it with live Redis', async () => {
    await seedEveryType();
    const summary = await backups.backupRedis();
    const clean = await backups.verify(summary.id, { live: true });
    assert.equal(clean.ok, true, clean.problems.join('; '));
    assert.equal(clean.entries, SEEDED);
    assert.deepEqual(
      clean.live && [
        clean.live.missing,
        clean.live.extra,
        clean.live.changed,
        clean.live.unchanged,
      ],
      [0, 0, 0, SEEDED],
    );
    assert.ok(clean.backup?.verifiedAt, 'verification is recorded');

    await stores.redis.set(key('pizza'), 'changed');
    await stores.redis.del(key('set'));
    await stores.redis.set(key('new'), 'added after the backup');
    const drift = await backups.verify(summary.path, { live: true });
    assert.equal(drift.ok, true, 'the file itself is intact');
    assert.deepEqual(
      drift.live && [drift.live.missing, drift.live.extra, drift.live.changed],
      [1, 1, 1],
    );
    assert.deepEqual(drift.live?.samples.map((s) => `${s.state}:${s.key}`).sort(), [
      `changed:${key('pizza')}`,
      `extra:${key('new')}`,
      `missing:${key('set')}`,
    ]);
  });

  it('refuses truncated and tampered files before writing anything', async () => {
    await seedEveryType();
    const summary = await backups.backupRedis();
    const bytes = await readFile(summary.path);

    const truncated = join(dir, 'truncated.ndjson.gz');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const tampered = join(dir, 'tampered.ndjson.gz');
    const lines = gunzipSync(bytes).toString('utf8').split('\n');
    const entry = JSON.parse(lines[1]) as RedisBackupEntry;
    const payload = Buffer.from(entry.d, 'base64');
    payload[0] ^= 0xff; // one flipped byte in one value
    lines[1] = JSON.stringify({ ...entry, d: payload.toString('base64') });
    await writeFile(tampered, gzipSync(lines.join('\n')));
    const cut = join(dir, 'no-trailer.ndjson.gz');
    await writeFile(
      cut,
      gzipSync(`${gunzipSync(bytes).toString('utf8').split('\n').slice(0, -2).join('\n')}\n`),
    );

    for (const [path, problem] of [
      [truncated, /truncated|cannot be read|no trailer/],
      [tampered, /checksum does not match/],
      [cut, /no trailer/],
    ] as const) {
      const report = await backups.verify(path);
      assert.equal(report.ok, false, path);
      assert.ok(
        report.problems.some((p) => problem.test(p)),
        `${path}: ${report.problems.join('; ')}`,
      );
      await assert.rejects(backups.restoreRedis(path, { targetUrl }), InvalidBackupError);
    }
    assert.equal((await snapshotRedis(target, `${stores.prefix}*`)).size, 0, 'nothing was written');
  });

  it('leaves no file that passes verification when a backup dies mid-way', async () => {
    const path = join(dir, 'crashed.ndjson.gz');
    const writer = await BackupFileWriter.create(path, {
      format: 'tenant-migrate-backup',
      version: 1,
      id: '00000000-0000-4000-8000-000000000000',
      kind: 'redis',
      createdAt: new Date().toISOString(),
      source: { host: '127.0.0.1', port: 6379, database: '0' },
      scope: stores.prefix,
    });
    for (let i = 0; i < 5000; i++)
      await writer.write(JSON.stringify({ k: 'a2V5', t: 'string', e: null, d: 'AA==' }));
    // The process "dies" here: no finish(). Only the partial file exists, and it is not valid.
    await assert.rejects(stat(path), /ENOENT/);
    const partial = await scanBackupFile(`${path}.partial`);
    assert.ok(partial.problems.length > 0, 'an unfinished file never verifies');
    await writer.abort();
    await assert.rejects(stat(`${path}.partial`), /ENOENT/);
  });

  it('backs up and restores the tenants table exactly, in one transaction', async () => {
    for (const [name, emoji] of [
      ['pizza', '🍕'],
      ['tacos', '🌮'],
      ['salon', '💈'],
    ]) {
      await stores.redis.set(key(name), JSON.stringify({ emoji, createdAt: 1700000000000 }));
    }
    await ctx.migrations.migrate();
    // written_xact records which transaction wrote the row (a restore writes every row anew), like xmin.
    const all = `SELECT to_jsonb(t) - 'written_xact' AS row, xmin IS NOT NULL AS present FROM tenants t ORDER BY subdomain`;
    const before = (await stores.db.query(all)).rows;
    const summary = await backups.backupPostgres();
    assert.equal(summary.kind, 'postgres');
    assert.equal(summary.entryCount, 3);
    assert.deepEqual(
      summary.source,
      { host: '127.0.0.1', port: 5432, database: new URL(stores.databaseUrl).pathname.slice(1) },
      'the source host is an address, not 127.0.0.1/32',
    );

    await stores.db.query(`UPDATE tenants SET business_name = 'edited' WHERE subdomain = 'pizza'`);
    await stores.db.query(`DELETE FROM tenants WHERE subdomain = 'tacos'`);
    const preview = await backups.restorePostgres(summary.id, { dryRun: true });
    assert.deepEqual([preview.rowsInBackup, preview.rowsReplaced], [3, 2]);
    assert.equal(
      (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0].n,
      2,
      'a dry run changes nothing',
    );

    await backups.restorePostgres(summary.id);
    assert.deepEqual(
      (await stores.db.query(all)).rows,
      before,
      'every column, timestamps included',
    );
    await assert.rejects(backups.restoreRedis(summary.id), /not a redis backup/);
  });

  it('keeps multi-byte text exact across the COPY stream chunks of a large tenants table', async () => {
    // 1,500 rows of ~1.2 KB, almost all of it 3- and 4-byte characters: dozens of chunk
    // boundaries, nearly every one inside a character.
    const description = '日本語の説明🍕'.repeat(70);
    await stores.db.query(
      `INSERT INTO tenants (id, subdomain, emoji, created_at, business_category, business_description, subscription_plan, subscription_status, source_format)
       SELECT gen_random_uuid(), 'mb' || g, '🍣', now(), 'Other', $1 || g, 'basic', 'active', 'app' FROM generate_series(1, 1500) g`,
      [description],
    );
    const all = 'SELECT subdomain, emoji, business_description FROM tenants ORDER BY subdomain';
    const before = (await stores.db.query(all)).rows;
    const summary = await backups.backupPostgres();
    assert.equal((await backups.verify(summary.id)).ok, true);
    await stores.db.query('DELETE FROM tenants');
    await backups.restorePostgres(summary.id);
    assert.deepEqual((await stores.db.query(all)).rows, before);
  });

  it('audits every backup, verify and restore, without secrets', async () => {
    await seedEveryType();
    const summary = await backups.backupRedis({ actor: 'cli:tester' });
    await backups.verify(summary.id);
    await backups
      .restoreRedis(summary.id, {
        targetUrl: targetUrl.replace('redis://', 'redis://:s3cr3t@'),
        dryRun: true,
      })
      .catch(() => undefined);
    const { rows } = await stores.db.query<{
      action: string;
      actor: string | null;
      status: string;
      params: unknown;
    }>('SELECT action, actor, status, params FROM audit_log ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.action),
      ['backup.redis', 'backup.verify', 'restore.redis'],
    );
    assert.equal(rows[0].actor, 'cli:tester');
    assert.doesNotMatch(JSON.stringify(rows), /s3cr3t/);
  });
});
