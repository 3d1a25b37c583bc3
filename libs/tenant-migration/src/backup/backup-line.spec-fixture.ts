import type { RedisBackupEntry } from './backup.types.js';

/** One line of a Redis backup file: a string key with its value (as the DUMP) and expiry. */
export const backupLine = (key: string, value: string, expiresAt: number | null = null): string =>
  JSON.stringify({
    k: Buffer.from(key).toString('base64'),
    t: 'string',
    e: expiresAt,
    d: Buffer.from(value).toString('base64'),
  } satisfies RedisBackupEntry);
