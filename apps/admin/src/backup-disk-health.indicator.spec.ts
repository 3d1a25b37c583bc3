import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { type EnvironmentVariables, validateEnvironment } from '../../shared/environment.js';
import { BackupDiskHealthIndicator, freeBytesAt } from './backup-disk-health.indicator.js';

const indicatorFor = (backupDir: string, minFreeBytes: number) =>
  new BackupDiskHealthIndicator(
    new ConfigService<EnvironmentVariables, true>(
      validateEnvironment({ BACKUP_DIR: backupDir, HEALTH_MIN_FREE_BYTES: String(minFreeBytes) }),
    ),
    new HealthIndicatorService(),
  );

describe('BackupDiskHealthIndicator', () => {
  let dir: string;
  /** The folder's free bytes as the system reports them (other processes write meanwhile). */
  let free: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-backup-disk-'));
    const stats = await statfs(dir);
    free = stats.bavail * stats.bsize;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The free bytes of an answer, checked to be close to the system's figure. */
  const freeOf = (result: HealthIndicatorResult<'disk'>): number => {
    const bytes: unknown = result.disk.freeBytes;
    assert.ok(typeof bytes === 'number' && Number.isSafeInteger(bytes), String(bytes));
    assert.ok(Math.abs(bytes - free) < 512 * 1024 * 1024, `${bytes} far from ${free}`);
    return bytes;
  };

  it('is up with at least HEALTH_MIN_FREE_BYTES free, saying how much there is', async () => {
    const result = await indicatorFor(dir, 1).check();
    assert.deepEqual(result, {
      disk: { status: 'up', freeBytes: freeOf(result), minFreeBytes: 1 },
    });
  });

  it('is down below HEALTH_MIN_FREE_BYTES, naming the variable', async () => {
    const result = await indicatorFor(dir, Number.MAX_SAFE_INTEGER).check();
    assert.deepEqual(result, {
      disk: {
        status: 'down',
        message: 'the backup folder has less free space than HEALTH_MIN_FREE_BYTES',
        freeBytes: freeOf(result),
        minFreeBytes: Number.MAX_SAFE_INTEGER,
      },
    });
  });

  it('measures a folder that does not exist yet where a backup would create it', async () => {
    const result = await indicatorFor(join(dir, 'a', 'b', 'backups'), 0).check();
    assert.equal(result.disk.status, 'up');
    freeOf(result);
  });

  it('is down when the space cannot be read, with the errno code but not the path', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const result = await indicatorFor(join(file, 'backups'), 0).check();
    assert.deepEqual(result, {
      disk: {
        status: 'down',
        message: 'the free space of the backup folder cannot be read (ENOTDIR)',
        minFreeBytes: 0,
      },
    });
  });
});

describe('freeBytesAt', () => {
  it('reads a relative folder from the working directory', async () => {
    const stats = await statfs(process.cwd());
    const bytes = await freeBytesAt('no-such-folder-here/backups');
    assert.ok(Math.abs(bytes - stats.bavail * stats.bsize) < 512 * 1024 * 1024);
  });
});
