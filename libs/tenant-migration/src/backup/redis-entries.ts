/** A Redis backup entry as restore and comparison use it, and whether live Redis holds the same. */
import type { Redis } from 'ioredis';
import { digestsOf } from '../source/redis-content-digest.js';
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

/**
 * For each entry, whether the live key holds the same value: strings by DUMP payload,
 * collections by content digest (their DUMP order may differ). Null where the key is absent.
 */
export const sameAsLive = async (
  redis: Redis,
  entries: DecodedEntry[],
): Promise<(boolean | null)[]> => {
  const live = redis.pipeline();
  for (const e of entries) live.type(e.key).dumpBuffer(e.key);
  const replies = (await live.exec()) ?? [];
  const types = entries.map((_, i) => String(replies[2 * i]?.[1]));
  const digests = await digestsOf(
    redis,
    entries.map((e) => e.key),
    types,
  );
  return entries.map((e, i) => {
    const dump = replies[2 * i + 1]?.[1] as Buffer | null;
    if (types[i] === 'none' || dump === null) return null;
    if (types[i] !== e.type) return false;
    return e.digest !== null ? digests[i] === e.digest : dump.equals(e.dump);
  });
};
