import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BackupService, CleanupRefusedError, CleanupService } from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy, ENHANCED } from './support/tenant-fixtures.js';

/**
 * Cleanup relies on a verified backup only if its file still verifies when cleanup runs: a
 * backup altered or truncated after its verification refuses the cleanup, and no key is
 * deleted.
 */
describe('cleanup verifies its backup again', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let cleanup: CleanupService;
  let backups: BackupService;
  let backupDir: string;
  const NAMES = ['pizza', 'tacos', 'salon', 'gelato'];
  const key = (name: string) => `${stores.prefix}${name}`;

  before(async () => {
    stores = await createTestStores('cleanup-reverify');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-cleanup-reverify-'));
    ctx = await createMigrationContext(stores, { batchSize: 3, backupDir });
    cleanup = ctx.app.get(CleanupService);
    backups = ctx.app.get(BackupService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
    await rm(backupDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮', 1700000000123));
    await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
    await stores.redis.set(key('gelato'), legacy('🍨'));
    await ctx.migrations.migrate();
  });

  /** A backup of the migrated keys, verified; its file's bytes as they were then. */
  const verifiedBackup = async (): Promise<{ id: string; path: string; original: Buffer }> => {
    const summary = await backups.backupRedis();
    assert.equal((await backups.verify(summary.id)).ok, true);
    return { id: summary.id, path: summary.path, original: await readFile(summary.path) };
  };

  /** Cleanup (deleting, not a preview) is refused for the backup, and every key is still there. */
  const assertRefused = async (backupId: string, problem: RegExp): Promise<void> => {
    await assert.rejects(
      cleanup.cleanup({ dryRun: false, actor: 'test' }),
      (e: unknown) =>
        e instanceof CleanupRefusedError &&
        e.message.startsWith(`backup ${backupId} no longer verifies: `) &&
        problem.test(e.message),
    );
    for (const name of NAMES)
      assert.equal(await stores.redis.exists(key(name)), 1, `${name} was not deleted`);
    const { rows } = await stores.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM redis_cleanups',
    );
    assert.equal(rows[0].n, 0, 'no key is recorded as cleaned up');
    const audit = await stores.db.query<{ status: string }>(
      `SELECT status FROM audit_log WHERE action = 'cleanup' ORDER BY id DESC LIMIT 1`,
    );
    assert.equal(audit.rows[0].status, 'failed');
  };

  it('refuses a backup one byte of whose values was altered after its verification', async () => {
    const backup = await verifiedBackup();
    const lines = gunzipSync(backup.original).toString('utf8').split('\n');
    // Line 1 is the header; line 2 the first entry. One character of its DUMP payload changes.
    const entry = JSON.parse(lines[1]) as { d: string };
    const at = entry.d.length >> 1;
    const altered = entry.d[at] === 'A' ? 'B' : 'A';
    entry.d = entry.d.slice(0, at) + altered + entry.d.slice(at + 1);
    const edited = JSON.stringify(entry);
    assert.equal(edited.length, lines[1].length, 'the entry keeps its length: one byte differs');
    lines[1] = edited;
    await writeFile(backup.path, gzipSync(Buffer.from(lines.join('\n'), 'utf8')));

    await assertRefused(backup.id, /checksum does not match: the file was altered/);
  });

  it('refuses a backup whose file was truncated after its verification', async () => {
    const backup = await verifiedBackup();
    await truncate(backup.path, Math.floor(backup.original.length / 2));

    await assertRefused(backup.id, /truncated|no trailer/);
  });

  it('deletes the keys once the backup is intact again (the refusals were the alteration)', async () => {
    const backup = await verifiedBackup();
    await truncate(backup.path, Math.floor(backup.original.length / 2));
    await assert.rejects(cleanup.cleanup({ dryRun: false }), CleanupRefusedError);
    await writeFile(backup.path, backup.original);

    const done = await cleanup.cleanup({ dryRun: false });
    assert.deepEqual([done.backupId, done.deleted, done.kept], [backup.id, 4, 0]);
    for (const name of NAMES) assert.equal(await stores.redis.exists(key(name)), 0, name);
  });
});
