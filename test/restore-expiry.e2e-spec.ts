/**
 * A key whose TTL runs out between the backup and the restore: the restore counts it as
 * `expired` and does not bring it back, through the service and through the CLI, while the
 * keys that are still alive come back with the remaining TTL the backup recorded.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackupService,
  type BackupSummary,
  type RedisBackupEntry,
  type RedisRestoreReport,
} from '#tenant-migration';
import { scanBackupFile } from '../libs/tenant-migration/src/backup/backup-file.js';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { runCli } from './support/cli.js';

/** The short-lived key's TTL: long enough to be backed up, short enough to wait for. */
const SHORT_TTL_MS = 1500;
const LONG_TTL_MS = 3_600_000;

describe('restore: a key whose TTL ran out since the backup', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let backups: BackupService;
  let dir: string;

  const key = (name: string) => `${stores.prefix}${name}`;
  const legacy = (emoji: string) => JSON.stringify({ emoji, createdAt: 1700000000000 });

  /** Each entry's absolute expiry (epoch ms, or null) as the backup file holds it, by key. */
  const expiriesIn = async (path: string): Promise<Map<string, number | null>> => {
    const expiries = new Map<string, number | null>();
    await scanBackupFile(path, (line) => {
      const entry = JSON.parse(line) as RedisBackupEntry;
      expiries.set(Buffer.from(entry.k, 'base64').toString('utf8'), entry.e);
    });
    return expiries;
  };

  /**
   * Backs up three keys (one about to expire, one with a long TTL, one without) and waits until
   * the short one has expired both in Redis and by the expiry the backup recorded; then clears
   * the keyspace, so that a restore has every key to write.
   */
  const backupAndLetExpire = async (): Promise<{
    summary: BackupSummary;
    expiries: Map<string, number | null>;
  }> => {
    await stores.redis.set(key('short'), legacy('⏳'));
    await stores.redis.pexpire(key('short'), SHORT_TTL_MS);
    await stores.redis.set(key('long'), legacy('🍕'), 'PX', LONG_TTL_MS);
    await stores.redis.set(key('plain'), legacy('🌮'));
    const summary = await backups.backupRedis({ actor: 'test' });
    assert.equal(summary.entryCount, 3, 'the short-lived key is in the backup');
    const expiries = await expiriesIn(summary.path);
    const shortExpiry = expiries.get(key('short'));
    assert.ok(typeof shortExpiry === 'number', 'the backup records the expiry of the short key');
    const deadline = Date.now() + 10_000;
    while (Date.now() <= shortExpiry || (await stores.redis.exists(key('short'))) === 1) {
      assert.ok(Date.now() < deadline, 'the short key expires within 10 s');
      await sleep(50);
    }
    await stores.clearRedis();
    return { summary, expiries };
  };

  /** The restored key expires when the backup said, to the second. */
  const assertRemainingTtl = async (name: string, expiresAt: number | null | undefined) => {
    assert.ok(typeof expiresAt === 'number', `${name} has an expiry in the backup`);
    const pttl = await stores.redis.pttl(key(name));
    assert.ok(pttl > 0, `${name} has a TTL (${pttl})`);
    const drift = Date.now() + pttl - expiresAt;
    assert.ok(Math.abs(drift) <= 1000, `${name}: remaining TTL within one second (${drift} ms)`);
  };

  before(async () => {
    stores = await createTestStores('restore_expiry');
    dir = await mkdtemp(join(tmpdir(), 'tm-restore-expiry-'));
    ctx = await createMigrationContext(stores, { backupDir: dir });
    backups = ctx.app.get(BackupService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  it('counts it as expired and does not recreate it (service)', async () => {
    const { summary, expiries } = await backupAndLetExpire();

    const preview = await backups.restoreRedis(summary.id, { dryRun: true });
    assert.deepEqual(
      [preview.entries, preview.restored, preview.expired],
      [3, 2, 1],
      'a dry run counts it too',
    );

    const report = await backups.restoreRedis(summary.id);
    assert.deepEqual(
      [report.entries, report.restored, report.expired],
      [3, 2, 1],
      'two restored, one expired',
    );
    assert.deepEqual(
      [report.unchanged, report.conflicts, report.overwritten],
      [0, 0, 0],
      'nothing else',
    );
    assert.deepEqual(report.samples, [{ key: key('short'), outcome: 'expired' }]);
    assert.equal(await stores.redis.exists(key('short')), 0, 'the expired key is not recreated');
    assert.equal(await stores.redis.get(key('plain')), legacy('🌮'));
    assert.equal(await stores.redis.pttl(key('plain')), -1, 'no TTL stays no TTL');
    await assertRemainingTtl('long', expiries.get(key('long')));

    const { rows } = await stores.db.query<{ outcome: { expired: number; restored: number } }>(
      `SELECT outcome FROM audit_log WHERE action = 'restore.redis' AND params->>'dryRun' = 'false'`,
    );
    assert.deepEqual(
      rows.map((r) => [r.outcome.restored, r.outcome.expired]),
      [[2, 1]],
      'the audit log has the expired count',
    );
  });

  it('counts it as expired and does not recreate it (CLI restore, JSON and text)', async () => {
    const { summary, expiries } = await backupAndLetExpire();
    const env = {
      DATABASE_URL: stores.databaseUrl,
      TENANT_KEY_PREFIX: stores.prefix,
      BACKUP_DIR: dir,
    };

    const result = await runCli(['restore', summary.id, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as RedisRestoreReport;
    assert.deepEqual([report.entries, report.restored, report.expired], [3, 2, 1]);
    assert.deepEqual(report.samples, [{ key: key('short'), outcome: 'expired' }]);
    assert.equal(await stores.redis.exists(key('short')), 0, 'the expired key is not recreated');
    await assertRemainingTtl('long', expiries.get(key('long')));

    await stores.clearRedis();
    const human = await runCli(['restore', summary.id], env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^ {2}restored +2$/m);
    assert.match(
      human.stdout,
      /^ {2}expired +1 {2}their TTL ran out since the backup; not restored$/m,
    );
    assert.match(human.stdout, new RegExp(`^ {2}expired +${key('short')}$`, 'm'));
    assert.equal(await stores.redis.exists(key('short')), 0, 'the expired key is not recreated');
  });
});
