/**
 * The `backup` scenario: the CLI's backup of N keys to a file, its verify, then its restore into
 * an empty Redis database (BENCH_RESTORE_REDIS_URL, flushed first), with the peak RSS of each.
 */
import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseOutput } from './figures.js';
import { fail, redisUrl, restoreUrl, root } from './settings.js';
import { forEachSize } from './size-table.js';
import { cli, redisCli } from './steps.js';

/** Backup of N keys to a file, verify, then restore into an empty Redis database. */
export const runBackup = (): Promise<void> => {
  const folder = resolve(root, 'backups', 'bench');
  return forEachSize(
    'backup (Redis keyspace to a gzip file, verify, restore into an empty database)',
    'backup_s  verify_s  restore_s  file_mb  backup_rss  verify_rss  restore_rss',
    async (n) => {
      process.stderr.write('bench: backup\n');
      const backup = await cli('backup', ['backup', '--json'], {
        REDIS_URL: redisUrl,
        BACKUP_DIR: folder,
      });
      const summary = parseOutput<{
        id: string;
        path: string;
        entryCount: number;
        totalBytes: number;
      }>(backup.output, 'backup');
      if (summary.entryCount !== n) fail(`backup holds ${summary.entryCount} keys, expected ${n}`);
      process.stderr.write('bench: verify\n');
      const verify = await cli('backup verify', ['backup', 'verify', summary.id, '--json'], {
        REDIS_URL: redisUrl,
      });
      process.stderr.write('bench: restore into an empty database\n');
      await redisCli('flush of the restore target', ['-u', restoreUrl, 'FLUSHDB']);
      const restore = await cli(
        'restore',
        ['restore', summary.id, '--target-url', restoreUrl, '--json'],
        { REDIS_URL: redisUrl },
      );
      const restored = parseOutput<{ restored: number }>(restore.output, 'restore');
      if (restored.restored !== n) fail(`restored ${restored.restored} keys, expected ${n}`);
      const fileMb = (await stat(summary.path)).size / 1048576;
      await rm(summary.path, { force: true });
      return {
        cells: [
          backup.seconds.toFixed(2).padStart(8),
          verify.seconds.toFixed(2).padStart(8),
          restore.seconds.toFixed(2).padStart(9),
          fileMb.toFixed(1).padStart(7),
          String(backup.peakRssMb).padStart(10),
          String(verify.peakRssMb).padStart(10),
          String(restore.peakRssMb).padStart(11),
        ],
        peakRssMb: Math.max(backup.peakRssMb, restore.peakRssMb),
      };
    },
  );
};
