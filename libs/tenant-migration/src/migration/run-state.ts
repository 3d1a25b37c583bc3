import type { StopReason } from '../common/stop-signal.js';
import { randomBytes } from 'node:crypto';
import { FINGERPRINT_SECRET_BYTES } from '../common/seen-key-set.js';
import { scanFraction } from '../source/scan-cursor.js';
import { countsSince } from './batch-accounting.js';
import { BatchTurn } from './batch-turn.js';
import type { WritePath } from './batch-writer.js';
import { ScanState } from './scan-state.js';
import { quarantineName } from './tenant-merge.sql.js';
import { type ExceptionRow } from './tenant-merge.types.js';
import type { MigrationBatchObservation } from '../common/migration-observer.js';
import {
  emptyCounts,
  type MigrationCheckpoint,
  type MigrationCounts,
  type MigrationRunOptions,
} from './migration.types.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type {
  ExceptionSample,
  MigrationBatchReport,
  MigrationProgress,
  MigrationResult,
} from './migration-request.types.js';

const SAMPLE_LIMIT = 20;
/** How far a scan must be through before its key count is estimated (earlier it is noise). */
const MIN_FRACTION_FOR_ESTIMATE = 0.01;

export const isBalanced = (c: MigrationCounts): boolean =>
  c.scanned === c.migrated + c.unchanged + c.skipped + c.rejected &&
  c.migrated === c.created + c.updated &&
  Object.values(c.skippedByReason).reduce((a, b) => a + b, 0) === c.skipped;

/** Keeps the first few exceptions as samples. */
export const sampleExceptions = (exceptions: ExceptionRow[], samples: ExceptionSample[]): void => {
  for (const e of exceptions) {
    if (samples.length >= SAMPLE_LIMIT) return;
    samples.push({ key: quarantineName(e), bucket: e.bucket, reasons: e.reasons });
  }
};

/**
 * What one execution of a run (or of a dry run) remembers while it streams batches: its
 * counts (a resumed run's from its checkpoint), the checkpoint it continues from, the batch
 * number, the fingerprint secret and the scan state, the batches being written and the first
 * failure among them, the samples, and what the last progress report covered.
 */
export class RunState {
  readonly started = Date.now();
  readonly counts: MigrationCounts;
  /** The scanned count at the start of this execution: the rate counts this process's keys. */
  readonly scannedAtStart: number;
  /** The committed checkpoint this execution continues from; null for a new run. */
  readonly checkpoint: MigrationCheckpoint | null;
  /** The number of the last batch handed to a writer. */
  batchNumber: number;
  readonly samples: ExceptionSample[] = [];
  /** The run's fingerprint secret (a resumed run keeps its own), and its hex for checkpoints. */
  readonly secret: Buffer;
  readonly secretHex: string;
  readonly scan: ScanState;
  /** What its batches have learnt about the tenants table: a run starts as a first load. */
  readonly writePath: WritePath = { firstLoad: true };
  /** DBSIZE for progress estimates (null without a progress listener, or when unknown). */
  databaseSize: number | null = null;
  /** Up to one batch per writer session being written while the next is read and validated. */
  readonly writing: Promise<void>[] = [];
  /** The first failure of a batch write; once set, no further batch is handed over. */
  failure: unknown = null;
  /** Why the run stopped handing over batches before the end of the keyspace, if it did. */
  stoppedBy: StopReason | null = null;
  private previous: BatchTurn | null = null;
  /**
   * The counts as of the last progress report (a resumed run's from its checkpoint). Batches
   * add their counts in order (BatchTurn), and each report is made before the next batch adds
   * its own (in a real run that waits for its commit, a dry run writes one batch at a time),
   * so the difference is exactly the reported batch's share.
   */
  private reported: MigrationCounts;
  /** The created, updated and unchanged counts as of the last batch observed (see `observation`). */
  private observed: Pick<MigrationCounts, 'created' | 'updated' | 'unchanged'>;

  constructor(
    /** Null for a dry run. */
    readonly run: MigrationRunEntity | null,
    readonly options: MigrationRunOptions,
    readonly resumed: boolean,
  ) {
    this.counts = run ? { ...emptyCounts(), ...run.counts } : emptyCounts();
    this.scannedAtStart = this.counts.scanned;
    this.checkpoint = run?.checkpoint ?? null;
    this.batchNumber = this.checkpoint?.batches ?? 0;
    this.secret = this.checkpoint?.secret
      ? Buffer.from(this.checkpoint.secret, 'hex')
      : randomBytes(FINGERPRINT_SECRET_BYTES);
    this.secretHex = this.secret.toString('hex');
    this.scan = new ScanState(options.prefix, { secret: this.secret });
    this.reported = { ...this.counts };
    this.observed = { ...this.counts };
  }

  get dryRun(): boolean {
    return this.run === null;
  }

  /** Whether the checkpoint says the scan had already reached its end. */
  get scanFinished(): boolean {
    return this.checkpoint?.cursor === '0';
  }

  /** The ordering of the next batch after the previous one. */
  nextTurn(): BatchTurn {
    const turn = new BatchTurn(this.previous);
    this.previous = turn;
    return turn;
  }

  /** Whether a batch write failed: no further batch is handed over, and the run throws. */
  get failed(): boolean {
    return Boolean(this.failure);
  }

  /** Keeps the first failure of a batch write. */
  fail(error: unknown): void {
    this.failure ??= error;
  }

  sample(exceptions: ExceptionRow[]): void {
    sampleExceptions(exceptions, this.samples);
  }

  /** The share of batch `number` in the counts since the last report, which it becomes. */
  batchReport(number: number, readMs: number, writeMs: number): MigrationBatchReport {
    const report = { number, ...countsSince(this.reported, this.counts), readMs, writeMs };
    this.reported = { ...this.counts };
    return report;
  }

  /**
   * What a finished batch, whose `exceptions` these are, tells an observer: its share of the
   * counts since the last batch observed (made in batch order, as `batchReport`), and its
   * skipped and rejected keys by first reason.
   */
  observation(
    exceptions: readonly ExceptionRow[],
    readMs: number,
    writeMs: number,
  ): MigrationBatchObservation {
    const { created, updated, unchanged } = this.counts;
    const observation: MigrationBatchObservation = {
      dryRun: this.dryRun,
      created: created - this.observed.created,
      updated: updated - this.observed.updated,
      unchanged: unchanged - this.observed.unchanged,
      skippedByReason: {},
      rejectedByReason: {},
      readMs,
      writeMs,
    };
    this.observed = { created, updated, unchanged };
    for (const e of exceptions) {
      const table =
        e.bucket === 'skipped' ? observation.skippedByReason : observation.rejectedByReason;
      const code = e.reasons[0]?.code ?? 'unknown';
      table[code] = (table[code] ?? 0) + 1;
    }
    return observation;
  }

  /** The run's progress after `batches` batches, the scan at `cursor`. */
  progress(batches: number, cursor: string): MigrationProgress {
    const { counts, databaseSize } = this;
    const elapsedMs = Date.now() - this.started;
    const rate = ((counts.scanned - this.scannedAtStart) / Math.max(elapsedMs, 1)) * 1000;
    const fraction = databaseSize === null ? 0 : scanFraction(cursor, databaseSize);
    const estimatedTotal =
      fraction >= MIN_FRACTION_FOR_ESTIMATE
        ? Math.max(counts.scanned, Math.round(counts.scanned / fraction))
        : null;
    const remaining = estimatedTotal === null ? null : Math.max(estimatedTotal - counts.scanned, 0);
    return {
      runId: this.run?.id ?? null,
      dryRun: this.dryRun,
      counts,
      batches,
      elapsedMs,
      rate: Math.round(rate),
      estimatedTotal,
      etaSeconds: remaining === null || rate === 0 ? null : Math.round(remaining / rate),
    };
  }

  /** The completed run's result, `durationMs` being this execution's. */
  result(durationMs: number): MigrationResult {
    const { counts } = this;
    return {
      runId: this.run?.id ?? null,
      dryRun: this.dryRun,
      status: 'completed',
      counts,
      balanced: isBalanced(counts),
      durationMs,
      rate: Math.round(((counts.scanned - this.scannedAtStart) / Math.max(durationMs, 1)) * 1000),
      resumed: this.resumed,
      options: this.options,
      samples: this.samples,
    };
  }
}
