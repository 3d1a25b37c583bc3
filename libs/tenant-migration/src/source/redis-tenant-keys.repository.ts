import { Inject, Injectable } from '@nestjs/common';
import type { ChainableCommander, Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { asStoreError } from './store-error.js';
import { defineTenantKeyScripts } from './tenant-key-scripts.js';

/** A key as it is now: its DUMP payload and its value, both null when the key is gone. */
export interface LiveKey {
  dump: Buffer | null;
  value: Buffer | null;
}

/** A key as one lookup reads it (`inspect`): type, TTL, size and the start of a string's value. */
export interface InspectedKey {
  /** `string`, `hash`, `list`, `set`, `zset`, `stream`... */
  type: string;
  /** Remaining time to live in ms; null when the key has none. */
  ttlMs: number | null;
  /** A string's length in bytes; null for the other types. */
  bytes: number | null;
  /** A string's first bytes (at most those asked for); null for the other types. */
  head: Buffer | null;
}

/**
 * The replies of a pipeline, in order. A command that failed fails the step, as callers see a
 * Redis failure (StoreUnavailableError when Redis went away): a lost connection leaves every
 * reply an error, which must never be read as a value (it was a TypeError, a 500).
 */
const repliesOf = async (pipeline: ChainableCommander): Promise<unknown[]> => {
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw asStoreError(error);
  }
  return (replies ?? []).map(([error, reply]) => {
    if (error) throw asStoreError(error);
    return reply;
  });
};

/**
 * The writes sync and cleanup make to tenant keys, each guarded by the value it was decided on
 * (compare-and-set, compare-and-delete, as scripts defined once on the client), and the live
 * reads cleanup compares a backup with.
 */
@Injectable()
export class RedisTenantKeysRepository {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {
    defineTenantKeyScripts(redis);
  }

  /**
   * Writes `value` to the key only if it still holds `current` (null: it is still absent);
   * false when it changed. The key keeps its TTL.
   */
  async compareAndSet(key: string, current: Buffer | null, value: string): Promise<boolean> {
    const written = await this.redis.tenantMigrationCompareAndSet(
      key,
      current === null ? '' : 'present',
      current ?? '',
      value,
    );
    return written === 1;
  }

  /** Each key's DUMP payload and value, in one pipeline; in the order of `keys`. */
  async live(keys: readonly Buffer[]): Promise<LiveKey[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.dumpBuffer(key).getBuffer(key);
    const replies = await repliesOf(pipeline);
    return keys.map((_, i) => ({
      dump: replies[2 * i] as Buffer | null,
      value: replies[2 * i + 1] as Buffer | null,
    }));
  }

  /**
   * One key as it is at one instant (a MULTI of TYPE, PTTL, STRLEN and GETRANGE): null when it
   * does not exist. Of a string at most `readBytes` bytes are read, however long it is; a key
   * of another type has no value read. Read-only.
   */
  async inspect(key: string, readBytes: number): Promise<InspectedKey | null> {
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await this.redis
        .multi()
        .type(key)
        .pttl(key)
        .strlen(key)
        .getrangeBuffer(key, 0, Math.max(1, readBytes) - 1)
        .exec();
    } catch (error) {
      throw asStoreError(error);
    }
    const [typeReply, ttlReply, lengthReply, headReply] = replies ?? [];
    if (!typeReply || !ttlReply) throw asStoreError(new Error('the MULTI got no reply'));
    for (const [error] of [typeReply, ttlReply]) if (error) throw asStoreError(error);
    const type = String(typeReply[1]);
    if (type === 'none') return null;
    const ttl = Number(ttlReply[1]);
    const ttlMs = ttl >= 0 ? ttl : null;
    // STRLEN and GETRANGE answer WRONGTYPE for any other type: only a string has a value here.
    if (type !== 'string') return { type, ttlMs, bytes: null, head: null };
    for (const reply of [lengthReply, headReply]) if (reply?.[0]) throw asStoreError(reply[0]);
    const head: unknown = headReply?.[1];
    return {
      type,
      ttlMs,
      bytes: Number(lengthReply?.[1]),
      head: Buffer.isBuffer(head) ? head : Buffer.alloc(0),
    };
  }

  /**
   * Deletes each key that still holds its value, in one pipeline: for each, whether it was
   * deleted (false: it changed since, and is kept).
   */
  async compareAndDelete(entries: readonly { key: string; value: Buffer }[]): Promise<boolean[]> {
    const pipeline = this.redis.pipeline();
    for (const { key, value } of entries) pipeline.tenantMigrationCompareAndDelete(key, value);
    const outcomes = await repliesOf(pipeline);
    return outcomes.map((outcome) => outcome === 1);
  }
}
