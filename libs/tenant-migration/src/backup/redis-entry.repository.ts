import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { InvalidOptionError } from '../errors/index.js';
import { redactUrl } from '../common/redact-url.js';
import { digestsOf } from '../source/redis-content-digest.js';
import type { BackupSource } from './backup.types.js';
import type { DecodedEntry } from './redis-entries.js';
import { defineRestore } from './restore.script.js';

/**
 * Payload bytes one call of the restore script carries at most (a bigger entry goes alone): a
 * script runs to its end before the server answers anyone else, where a pipeline of RESTOREs
 * lets other clients in between; a few MiB of RESTORE keep that wait to milliseconds.
 */
const SCRIPT_SLICE_BYTES = 4 * 1024 * 1024;

/** [from, to) index ranges of `entries`, each within SCRIPT_SLICE_BYTES of payload. */
const scriptSlices = (entries: readonly DecodedEntry[]): [number, number][] => {
  const slices: [number, number][] = [];
  let from = 0;
  let bytes = 0;
  entries.forEach((e, i) => {
    const size = e.key.length + e.dump.length;
    if (i > from && bytes + size > SCRIPT_SLICE_BYTES) {
      slices.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += size;
  });
  slices.push([from, entries.length]);
  return slices;
};

/** A RESTORE the script passed on the refusal of, named as a pipelined RESTORE's refusal is. */
class RestoreReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

/**
 * The Redis commands of restore and live comparison, pipelined per batch of backup entries:
 * RESTORE, and TYPE/DUMP/PTTL of the live keys. Over the configured Redis, or (`connectTarget`)
 * over another one to restore into.
 */
@Injectable()
export class RedisEntryRepository {
  /** Set for a client this repository opened itself (`connectTarget`), which `close` disconnects. */
  private owned = false;
  /** Cleared once the server refuses the restore script: RESTOREs go one by one after that. */
  private scripted = true;

  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {
    defineRestore(redis);
  }

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
   * each entry's reply error (say BUSYKEY for a key that exists), or null. Through the restore
   * script (restore.script.ts), one call per slice of the batch, all in one pipeline; a server
   * that refuses the script (scripting disabled, an ACL without EVALSHA) gets the RESTOREs
   * themselves, pipelined, from then on.
   */
  async restore(entries: readonly DecodedEntry[], replace: boolean): Promise<(Error | null)[]> {
    if (entries.length === 0) return [];
    const answers: (Error | null | undefined)[] = new Array<Error | null | undefined>(
      entries.length,
    );
    if (this.scripted) {
      const slices = scriptSlices(entries);
      const calls = this.redis.pipeline();
      for (const [from, to] of slices) {
        const args: (Buffer | number | string)[] = [];
        for (let i = from; i < to; i++) args.push(entries[i].key);
        args.push(replace ? '1' : '0');
        for (let i = from; i < to; i++) args.push(entries[i].expiresAt ?? 0, entries[i].dump);
        calls.tenantMigrationRestore(to - from, ...args);
      }
      const replies = (await calls.exec()) ?? [];
      slices.forEach(([from, to], n) => {
        const [error, reply] = replies[n] ?? [new Error('the restore pipeline got no reply')];
        // The script itself refused (not a key's RESTORE): those keys are left unanswered and
        // restored below without it. Anything else (a lost connection) is each key's answer.
        if (error && error.name === 'ReplyError') {
          this.scripted = false;
          return;
        }
        const keyAnswers = Array.isArray(reply) ? (reply as unknown[]) : [];
        for (let i = from; i < to; i++) {
          const answer = error ? error : keyAnswers[i - from];
          answers[i] =
            answer instanceof Error
              ? answer
              : answer === 0
                ? null
                : new RestoreReplyError(
                    typeof answer === 'string' ? answer : 'RESTORE gave no answer',
                  );
        }
      });
    }
    const left = entries.flatMap((e, i) => (answers[i] === undefined ? [i] : []));
    if (left.length > 0) {
      const restore = this.redis.pipeline();
      for (const i of left) {
        const e = entries[i];
        const args = [e.key, e.expiresAt ?? 0, e.dump, 'ABSTTL', ...(replace ? ['REPLACE'] : [])];
        restore.call('RESTORE', ...args);
      }
      const replies = (await restore.exec()) ?? [];
      left.forEach((i, n) => (answers[i] = replies[n]?.[0] ?? null));
    }
    return answers.map((answer) => answer ?? null);
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
