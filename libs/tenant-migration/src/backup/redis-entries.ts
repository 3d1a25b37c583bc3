/** A Redis backup entry as a backup encodes it and restore and comparison decode it, and their batch sizes. */
import type { DumpedKey } from '../source/redis-keyspace.reader.js';
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

/** The JSON of the type names DUMP payloads tell (see dump-type.ts), made once. */
const TYPE_JSON = new Map(
  ['string', 'list', 'set', 'zset', 'hash', 'stream'].map((t) => [t, JSON.stringify(t)]),
);

/**
 * The entry line of a dumped key whose PTTL was read at `readAt` (epoch ms): the JSON of its
 * `RedisBackupEntry`, byte for byte what JSON.stringify gives, written out directly because a
 * backup makes one per key. Base64 and a hex digest need no escaping; the type (a server's
 * answer) goes through JSON.stringify unless it is one of the core names.
 */
export const encodeEntry = (key: DumpedKey, readAt: number): string => {
  const type = TYPE_JSON.get(key.type) ?? JSON.stringify(key.type);
  const expiresAt = key.pttl > 0 ? readAt + key.pttl : null;
  const digest = key.digest ? `,"h":${JSON.stringify(key.digest)}` : '';
  return `{"k":"${key.key.toString('base64')}","t":${type},"e":${expiresAt},"d":"${key.dump.toString('base64')}"${digest}}`;
};
