import { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors/index.js';
import { redactUrl } from '../common/redact-url.js';
import type { RedisRestoreReport, RestoreOutcome } from './backup.types.js';
import {
  decodeEntry,
  ENTRY_BATCH,
  sameAsLive,
  SAMPLE_LIMIT,
  type DecodedEntry,
} from './redis-entries.js';

/** Restores entries in pipelined batches; counts each key's outcome. */
export class RedisRestorer {
  readonly report: Omit<RedisRestoreReport, 'backupId' | 'target' | 'durationMs'>;
  private pending: DecodedEntry[] = [];

  constructor(
    private readonly redis: Redis,
    dryRun: boolean,
    private readonly overwrite: boolean,
  ) {
    this.report = {
      dryRun,
      entries: 0,
      restored: 0,
      unchanged: 0,
      conflicts: 0,
      overwritten: 0,
      expired: 0,
      samples: [],
    };
  }

  async add(line: string): Promise<void> {
    this.pending.push(decodeEntry(line));
    this.report.entries++;
    if (this.pending.length >= ENTRY_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const now = Date.now();
    const live = batch.filter((e) => {
      if (e.expiresAt !== null && e.expiresAt <= now) {
        this.note(e.key, 'expired');
        return false;
      }
      return true;
    });
    // RESTORE without REPLACE refuses existing keys (BUSYKEY): those are compared next.
    const busy: typeof live = [];
    if (this.report.dryRun) {
      busy.push(...live);
    } else {
      const restore = this.redis.pipeline();
      for (const e of live)
        restore.call('RESTORE', e.key, ttlArgument(e.expiresAt), e.dump, 'ABSTTL');
      const replies = (await restore.exec()) ?? [];
      live.forEach((e, i) => {
        const error = replies[i]?.[0];
        if (!error) this.note(e.key, 'restored');
        else if (/BUSYKEY/.test(error.message)) busy.push(e);
        else throw error;
      });
    }
    if (busy.length === 0) return;
    const same = await sameAsLive(this.redis, busy);
    const replace: typeof busy = [];
    busy.forEach((e, i) => {
      if (same[i] === null)
        this.note(e.key, 'restored'); // dry run: absent, would be restored
      else if (same[i]) this.note(e.key, 'unchanged');
      else if (this.overwrite) replace.push(e);
      else this.note(e.key, 'conflict');
    });
    if (replace.length === 0) return;
    if (!this.report.dryRun) {
      const overwrite = this.redis.pipeline();
      for (const e of replace)
        overwrite.call('RESTORE', e.key, ttlArgument(e.expiresAt), e.dump, 'ABSTTL', 'REPLACE');
      for (const [error] of (await overwrite.exec()) ?? []) if (error) throw error;
    }
    for (const e of replace) this.note(e.key, 'overwritten');
  }

  private note(key: Buffer, outcome: RestoreOutcome): void {
    const counter: Record<
      RestoreOutcome,
      'restored' | 'unchanged' | 'conflicts' | 'overwritten' | 'expired'
    > = {
      restored: 'restored',
      unchanged: 'unchanged',
      conflict: 'conflicts',
      overwritten: 'overwritten',
      expired: 'expired',
    };
    this.report[counter[outcome]]++;
    if (
      outcome !== 'restored' &&
      outcome !== 'unchanged' &&
      this.report.samples.length < SAMPLE_LIMIT
    ) {
      this.report.samples.push({ key: key.toString('utf8'), outcome });
    }
  }
}

/** RESTORE's TTL argument with ABSTTL: the absolute expiry in ms, or 0 for none. */
const ttlArgument = (expiresAt: number | null): number => expiresAt ?? 0;

/**
 * A client for another Redis to restore into; `like` is the configured client, whose bounds on a
 * wait (connection, command) hold for the target too.
 */
export const connectRestoreTarget = (url: string, like: Redis): Redis => {
  if (!/^rediss?:\/\//.test(url))
    throw new InvalidOptionError(
      `the target must be a redis:// or rediss:// URL, got ${redactUrl(url)}`,
    );
  const { connectTimeout, commandTimeout } = like.options;
  const client = new Redis(url, {
    lazyConnect: false,
    connectTimeout,
    commandTimeout,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 200),
  });
  client.on('error', () => undefined);
  return client;
};
