import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DumpedKey } from '../source/redis-keyspace.reader.js';
import { decodeEntry, encodeEntry } from './redis-entries.js';
import type { RedisBackupEntry } from './backup.types.js';

const dumped = (overrides: Partial<DumpedKey> = {}): DumpedKey => ({
  key: Buffer.from('subdomain:pizza'),
  type: 'string',
  pttl: -1,
  dump: Buffer.from([0, 3, 0x61, 0x62, 0x63, 11, 0, 1, 2, 3, 4, 5, 6, 7]),
  digest: null,
  ...overrides,
});

/** What the entry line was before it was written out directly: JSON.stringify of the entry. */
const stringified = (key: DumpedKey, readAt: number): string =>
  JSON.stringify({
    k: key.key.toString('base64'),
    t: key.type,
    e: key.pttl > 0 ? readAt + key.pttl : null,
    d: key.dump.toString('base64'),
    ...(key.digest ? { h: key.digest } : {}),
  } satisfies RedisBackupEntry);

describe('encodeEntry', () => {
  it('writes exactly what JSON.stringify of the entry gives', () => {
    const readAt = 1_800_000_000_000;
    const keys = [
      dumped(),
      dumped({ pttl: 1234 }),
      dumped({ pttl: -2 }),
      dumped({ type: 'hash', digest: 'ab'.repeat(32) }),
      dumped({ key: Buffer.from([0xff, 0x00, 0x22, 0x5c, 0x0a]), dump: Buffer.alloc(0) }),
      // A module's type name, and a hostile server's answer: escaped as JSON escapes it.
      dumped({ type: 'ReJSON-RL' }),
      dumped({ type: 'we"ird\\\n\u2028' }),
    ];
    for (const key of keys) assert.equal(encodeEntry(key, readAt), stringified(key, readAt));
  });

  it('round-trips through decodeEntry with the expiry counted from the read', () => {
    const key = dumped({ pttl: 5000, type: 'zset', digest: 'cd'.repeat(32) });
    const decoded = decodeEntry(encodeEntry(key, 1000));
    assert.deepEqual(decoded, {
      key: key.key,
      type: 'zset',
      expiresAt: 6000,
      dump: key.dump,
      digest: 'cd'.repeat(32),
    });
  });
});
