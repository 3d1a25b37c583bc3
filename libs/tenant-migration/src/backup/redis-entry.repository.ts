import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { InvalidOptionError } from '../errors/index.js';
import { redactUrl } from '../common/redact-url.js';
import { digestsOf } from '../source/redis-content-digest.js';
import type { BackupSource } from './backup.types.js';
import type { DecodedEntry } from './redis-entries.js';

/**
 * The Redis commands of restore and live comparison, pipelined per batch of backup entries:
 * RESTORE, and TYPE/DUMP/PTTL of the live keys. Over the configured Redis, or (`connectTarget`)
 * over another one to restore into.
 */
@Injectable()
export class RedisEntryRepository {
  /** Set for a client this repository opened itself (`connectTarget`), which `close` disconnects. */
  private owned = false;

  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {}

  /**
   * A repository over another Redis (a redis:// or rediss:// URL) to restore into; the bounds on
   * a wait (connection, command) of the configured client hold for it too. `close` it after.
   */
  connectTarget(url: string): RedisEntryRepository {
    if (!/^rediss?:\/\//.test(url))
      throw new InvalidOptionError(
        `the target must be a redis:// or rediss:// URL, got ${redactUrl(url)}`,
      );
    const { connectTimeout, commandTimeout } = this.redis.options;
    const client = new Redis(url, {
      lazyConnect: false,
      connectTimeout,
      commandTimeout,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => (times > 2 ? null : 200),
    });
    client.on('error', () => undefined);
    const target = new RedisEntryRepository(client);
    target.owned = true;
    return target;
  }

  /** Disconnects a target client; the configured client is left as it is. */
  close(): void {
    if (this.owned) this.redis.disconnect();
  }

  /** Where the client points, without credentials. */
  source(): BackupSource {
    const { host = 'unknown', port = 6379, db = 0 } = this.redis.options;
    return { host, port, database: String(db) };
  }

  /**
   * RESTOREs each entry with its absolute expiry (`ABSTTL`; 0 for none), `REPLACE` when asked:
   * each entry's reply error (say BUSYKEY for a key that exists), or null.
   */
  async restore(entries: readonly DecodedEntry[], replace: boolean): Promise<(Error | null)[]> {
    const restore = this.redis.pipeline();
    for (const e of entries) {
      const args = [e.key, e.expiresAt ?? 0, e.dump, 'ABSTTL', ...(replace ? ['REPLACE'] : [])];
      restore.call('RESTORE', ...args);
    }
    const replies = (await restore.exec()) ?? [];
    return entries.map((_, i) => replies[i]?.[0] ?? null);
  }

  /** Each key's remaining time to live in ms (-1 for none, -2 for a key that does not exist). */
  async remainingTtls(keys: readonly Buffer[]): Promise<number[]> {
    const ttls = this.redis.pipeline();
    for (const key of keys) ttls.pttl(key);
    const replies = (await ttls.exec()) ?? [];
    return keys.map((_, i) => Number(replies[i]?.[1]));
  }

  /**
   * For each entry, whether the live key holds the same value: strings by DUMP payload,
   * collections by content digest (their DUMP order may differ). Null where the key is absent.
   */
  async sameAsLive(entries: readonly DecodedEntry[]): Promise<(boolean | null)[]> {
    const live = this.redis.pipeline();
    for (const e of entries) live.type(e.key).dumpBuffer(e.key);
    const replies = (await live.exec()) ?? [];
    const types = entries.map((_, i) => String(replies[2 * i]?.[1]));
    const digests = await digestsOf(
      this.redis,
      entries.map((e) => e.key),
      types,
    );
    return entries.map((e, i) => {
      const dump = replies[2 * i + 1]?.[1] as Buffer | null;
      if (types[i] === 'none' || dump === null) return null;
      if (types[i] !== e.type) return false;
      return e.digest !== null ? digests[i] === e.digest : dump.equals(e.dump);
    });
  }
}
