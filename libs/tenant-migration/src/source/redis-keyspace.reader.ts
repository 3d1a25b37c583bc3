import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import type { KeyspaceBatch, KeyspaceEntry } from './keyspace-entry.js';

export interface KeyspaceScanOptions {
  prefix: string;
  /** Resume point: a cursor from a committed checkpoint. */
  cursor?: string;
  /** Keys per batch (approximate lower bound: whole SCAN pages are kept together). */
  batchSize: number;
  /** Values over this many bytes are reported, not fetched. */
  maxValueBytes: number;
}

/** Escapes glob characters so a prefix such as `tenant[eu]:` matches itself only. */
export const scanPatternFor = (prefix: string): string => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;

/**
 * Reads the tenant keyspace: SCAN (never KEYS), then pipelined STRLEN and MGET per batch.
 * STRLEN first tells wrong types (WRONGTYPE) and oversized values apart without fetching
 * them; a nil from MGET after a positive STRLEN is a key that vanished in between.
 * Read-only: it never writes to Redis.
 */
@Injectable()
export class RedisKeyspaceReader {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {}

  async *batches(options: KeyspaceScanOptions): AsyncGenerator<KeyspaceBatch> {
    const pattern = scanPatternFor(options.prefix);
    let cursor = options.cursor ?? '0';
    let keys: string[] = [];
    do {
      const [next, page] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', options.batchSize);
      cursor = next;
      for (const key of page) keys.push(key);
      if (keys.length >= options.batchSize || (cursor === '0' && keys.length > 0)) {
        yield { cursor, entries: await this.fetch(keys, options.maxValueBytes) };
        keys = [];
      }
    } while (cursor !== '0');
  }

  /** Fetches the given keys; the result is in the same order and of the same length. */
  async fetch(keys: readonly string[], maxValueBytes: number): Promise<KeyspaceEntry[]> {
    if (keys.length === 0) return [];
    const sizing = this.redis.pipeline();
    for (const key of keys) sizing.strlen(key);
    const sizes = (await sizing.exec()) ?? [];

    const toFetch: string[] = [];
    const entries: (KeyspaceEntry | undefined)[] = new Array(keys.length);
    const wrongType: number[] = [];
    keys.forEach((key, i) => {
      const [error, size] = sizes[i] ?? [new Error('no reply'), null];
      if (error) {
        if (/WRONGTYPE/.test(error.message)) wrongType.push(i);
        else throw error;
      } else if ((size as number) > maxValueBytes) {
        entries[i] = { key, kind: 'too-large', size: size as number };
      } else {
        toFetch.push(key);
      }
    });

    if (wrongType.length > 0) {
      const typing = this.redis.pipeline();
      for (const i of wrongType) typing.type(keys[i]);
      const types = (await typing.exec()) ?? [];
      wrongType.forEach((i, n) => {
        const type = String(types[n]?.[1] ?? 'unknown');
        entries[i] = type === 'none' ? { key: keys[i], kind: 'vanished' } : { key: keys[i], kind: 'wrong-type', type };
      });
    }

    if (toFetch.length > 0) {
      const values = await this.redis.mgetBuffer(...toFetch);
      let n = 0;
      keys.forEach((key, i) => {
        if (entries[i]) return;
        const value = values[n++];
        entries[i] = value === null ? { key, kind: 'vanished' } : { key, kind: 'value', value };
      });
    }
    return entries as KeyspaceEntry[];
  }

  /** Which of the keys exist right now (one pipelined EXISTS each). */
  async exist(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const checks = this.redis.pipeline();
    for (const key of keys) checks.exists(key);
    const replies = (await checks.exec()) ?? [];
    return replies.map(([error, count]) => {
      if (error) throw error;
      return count === 1;
    });
  }

  /** An upper bound of the key count (DBSIZE counts every key of the database), for ETAs. */
  estimateTotal(): Promise<number> {
    return this.redis.dbsize();
  }
}
