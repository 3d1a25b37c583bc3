import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { withTimeout } from '#tenant-migration';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { HEALTH_CHECK_TIMEOUT_MS } from './store-probe.js';

/**
 * The bytes an unprivileged process may still write on the file system of `folder`. A folder
 * that does not exist yet is measured at its nearest existing ancestor: a backup creates it
 * there.
 */
export const freeBytesAt = async (folder: string): Promise<number> => {
  let path = resolve(folder);
  for (;;) {
    try {
      const { bavail, bsize } = await statfs(path);
      return bavail * bsize;
    } catch (error) {
      const parent = dirname(path);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) throw error;
      path = parent;
    }
  }
};

/** Why the space could not be read, without the path (the errno code only). */
const unreadable = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return `the free space of the backup folder cannot be read${typeof code === 'string' ? ` (${code})` : ''}`;
};

/**
 * The backup folder's free space as a terminus indicator of `/health/ready`: down below
 * HEALTH_MIN_FREE_BYTES, as a backup (which migrations and cleanups rely on) would fail. Not
 * terminus' DiskHealthIndicator: its threshold bounds the bytes used, not the bytes left.
 */
@Injectable()
export class BackupDiskHealthIndicator {
  private readonly folder: string;
  private readonly minFreeBytes: number;

  constructor(
    config: ConfigService<EnvironmentVariables, true>,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.folder = config.get('BACKUP_DIR', { infer: true });
    this.minFreeBytes = config.get('HEALTH_MIN_FREE_BYTES', { infer: true });
  }

  async check(): Promise<HealthIndicatorResult<'disk'>> {
    const check = this.indicators.check('disk');
    const { minFreeBytes } = this;
    let freeBytes: number;
    try {
      freeBytes = await withTimeout(freeBytesAt(this.folder), HEALTH_CHECK_TIMEOUT_MS, 'disk');
    } catch (error) {
      return check.down({ message: unreadable(error), minFreeBytes });
    }
    if (freeBytes < minFreeBytes) {
      const message = 'the backup folder has less free space than HEALTH_MIN_FREE_BYTES';
      return check.down({ message, freeBytes, minFreeBytes });
    }
    return check.up({ freeBytes, minFreeBytes });
  }
}
