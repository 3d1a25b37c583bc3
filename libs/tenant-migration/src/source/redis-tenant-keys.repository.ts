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
