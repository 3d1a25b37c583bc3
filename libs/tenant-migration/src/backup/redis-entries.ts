/** A Redis backup entry as restore and comparison decode it, and their batch sizes. */
import type { RedisBackupEntry } from './backup.types.js';

/** Entries per pipelined round trip to Redis. */
export const ENTRY_BATCH = 1000;
/** How many keys a report names (the counts cover all of them). */
export const SAMPLE_LIMIT = 20;

export interface DecodedEntry {
  key: Buffer;
  type: string;
  expiresAt: number | null;
  dump: Buffer;
  digest: string | null;
}

export const decodeEntry = (line: string): DecodedEntry => {
  const entry = JSON.parse(line) as RedisBackupEntry;
  return {
    key: Buffer.from(entry.k, 'base64'),
    type: entry.t,
    expiresAt: entry.e,
    dump: Buffer.from(entry.d, 'base64'),
    digest: entry.h ?? null,
  };
};
