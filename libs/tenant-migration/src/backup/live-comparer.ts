import type { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import type { LiveComparison } from './backup.types.js';
import { decodeEntry, ENTRY_BATCH, SAMPLE_LIMIT, type DecodedEntry } from './redis-entries.js';
import type { RedisEntryRepository } from './redis-entry.repository.js';

/** What a live comparison needs of Redis (the extra keys come from the keyspace reader). */
export type LiveSource = Pick<RedisEntryRepository, 'sameAsLive' | 'remainingTtls'>;

/** Compares backup entries with live Redis as they stream by, then finds the extra keys. */
export class LiveComparer {
  private readonly seen = new SeenKeySet();
  private pending: DecodedEntry[] = [];
  private readonly report: LiveComparison = {
    missing: 0,
    extra: 0,
    changed: 0,
    unchanged: 0,
    samples: [],
  };

  constructor(private readonly redis: LiveSource) {}

  /** Takes one entry line (and its entry, when the file check decoded it already). */
  async compare(line: string, decoded: DecodedEntry | null = null): Promise<void> {
    const entry = decoded ?? decodeEntry(line);
    this.seen.add(entry.key.toString('base64'));
    this.pending.push(entry);
    if (this.pending.length >= ENTRY_BATCH) await this.flush();
  }

  async finish(prefix: string, reader: Pick<RedisKeyspaceReader, 'keys'>): Promise<LiveComparison> {
    await this.flush();
    for await (const keys of reader.keys(prefix, ENTRY_BATCH)) {
      for (const key of keys) {
        if (this.seen.add(key.toString('base64'))) this.sample(key, 'extra');
      }
    }
    return this.report;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const same = await this.redis.sameAsLive(batch);
    const ttls = await this.redis.remainingTtls(batch.map((e) => e.key));
    batch.forEach((e, i) => {
      const hasTtl = ttls[i] > 0;
      if (same[i] === null) this.sample(e.key, 'missing');
      else if (!same[i] || hasTtl !== (e.expiresAt !== null)) this.sample(e.key, 'changed');
      else this.report.unchanged++;
    });
  }

  private sample(key: Buffer, state: 'missing' | 'extra' | 'changed'): void {
    this.report[state]++;
    if (this.report.samples.length < SAMPLE_LIMIT)
      this.report.samples.push({ key: key.toString('utf8'), state });
  }
}
