import type { RedisRestoreReport, RestoreOutcome } from './backup.types.js';
import { decodeEntry, ENTRY_BATCH, SAMPLE_LIMIT, type DecodedEntry } from './redis-entries.js';
import type { RedisEntryRepository } from './redis-entry.repository.js';

/** What a restore needs of Redis. */
export type RestoreTarget = Pick<RedisEntryRepository, 'restore' | 'sameAsLive'>;

/**
 * Restores entries in pipelined batches and decides each key's outcome: expired since the
 * backup, restored, unchanged, a conflict, or overwritten.
 */
export class RedisRestorer {
  readonly report: Omit<RedisRestoreReport, 'backupId' | 'target' | 'durationMs'>;
  private pending: DecodedEntry[] = [];
  /** The batch sent to Redis and not answered yet (at most one). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: RestoreTarget,
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

  /**
   * Takes one entry line (and its entry, when the file check decoded it already). A full batch
   * goes to Redis while the next one is read: the answer waited for here is the previous
   * batch's, so reading and decoding overlap with Redis restoring. Most lines only join the
   * batch and return no promise.
   */
  add(line: string, decoded: DecodedEntry | null = null): Promise<void> | undefined {
    this.pending.push(decoded ?? decodeEntry(line));
    this.report.entries++;
    if (this.pending.length < ENTRY_BATCH) return undefined;
    return this.send();
  }

  /** Restores what is pending and waits until every batch is answered. */
  async flush(): Promise<void> {
    await this.send();
    await this.inFlight;
  }

  /** Waits for the batch in flight, then sends the pending one without waiting for it. */
  private async send(): Promise<void> {
    await this.inFlight;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.inFlight = this.settle(batch);
    // Observed by the next send() or flush(); until then its failure is not unhandled.
    this.inFlight.catch(() => undefined);
  }

  /** Restores one batch and notes each key's outcome. */
  private async settle(batch: DecodedEntry[]): Promise<void> {
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
      const errors = await this.redis.restore(live, false);
      live.forEach((e, i) => {
        const error = errors[i];
        if (!error) this.note(e.key, 'restored');
        else if (/BUSYKEY/.test(error.message)) busy.push(e);
        else throw error;
      });
    }
    if (busy.length === 0) return;
    const same = await this.redis.sameAsLive(busy);
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
      for (const error of await this.redis.restore(replace, true)) if (error) throw error;
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
