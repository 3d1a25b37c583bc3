/**
 * A digest of what a Redis key holds, independent of its internal encoding. DUMP payloads of
 * equal hashes or sets can differ (member order follows the server's hash table), so equality
 * of collections is decided on their contents: hash fields and set members sorted, lists,
 * sorted sets and streams in their own defined order. Strings compare by DUMP and need none.
 */
import { createHash, type Hash } from 'node:crypto';

/** The command that lists a key's contents, by type; null for strings and unknown types. */
export const contentCommand = (type: string): [string, ...(string | number)[]] | null => {
  switch (type) {
    case 'hash':
      return ['HGETALL'];
    case 'list':
      return ['LRANGE', 0, -1];
    case 'set':
      return ['SMEMBERS'];
    case 'zset':
      return ['ZRANGE', 0, -1, 'WITHSCORES'];
    case 'stream':
      return ['XRANGE', '-', '+'];
    default:
      return null;
  }
};

type Reply = Buffer | string | number | null | Reply[];

const pairs = (items: Reply[]): Reply[][] => {
  const out: Reply[][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
};

const bytesOf = (reply: Reply): Buffer =>
  Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply));

/** sha256 (hex) of the canonical form of a content reply of `contentCommand(type)`. */
export const digestContent = (type: string, reply: Reply): string => {
  const items = Array.isArray(reply) ? reply : [];
  let canonical: Reply[] = items;
  if (type === 'hash')
    canonical = pairs(items).sort((a, b) => Buffer.compare(bytesOf(a[0]), bytesOf(b[0])));
  if (type === 'set') canonical = [...items].sort((a, b) => Buffer.compare(bytesOf(a), bytesOf(b)));
  const hash = createHash('sha256').update(type);
  feed(hash, canonical);
  return hash.digest('hex');
};

/** Length-prefixed, so no two different structures feed the same bytes. */
const feed = (hash: Hash, reply: Reply): void => {
  if (Array.isArray(reply)) {
    hash.update(`a${reply.length}:`);
    for (const item of reply) feed(hash, item);
    return;
  }
  const bytes = bytesOf(reply ?? '');
  hash.update(`b${bytes.length}:`);
  hash.update(bytes);
};

/**
 * Digests of the given keys' contents, read in one pipeline; null for strings (compared by
 * DUMP), for unknown types, and for keys that are gone.
 */
export const digestsOf = async (
  redis: Pick<import('ioredis').Redis, 'pipeline'>,
  keys: readonly Buffer[],
  types: readonly string[],
): Promise<(string | null)[]> => {
  const reads = redis.pipeline();
  const asked: number[] = [];
  keys.forEach((key, i) => {
    const command = contentCommand(types[i]);
    if (!command) return;
    const [name, ...args] = command;
    reads.callBuffer(name, [key, ...args]);
    asked.push(i);
  });
  const digests: (string | null)[] = keys.map(() => null);
  if (asked.length === 0) return digests;
  const replies = (await reads.exec()) ?? [];
  asked.forEach((i, n) => {
    const [error, reply] = replies[n] ?? [];
    if (error) throw error;
    digests[i] = digestContent(types[i], reply as Reply);
  });
  return digests;
};
