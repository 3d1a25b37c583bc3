/** What a caller gives a migration run and what it gets back. */
import type { ExceptionRow } from './tenant-merge.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ConflictPolicy, MigrationCounts, MigrationRunOptions } from './migration.types.js';

export interface MigrationProgress {
  runId: string | null;
  dryRun: boolean;
  counts: MigrationCounts;
  batches: number;
  elapsedMs: number;
  /** Keys per second since this process started the run. */
  rate: number;
  /**
   * Estimated tenant keys under the prefix: the keys accounted for so far divided by how far
   * the SCAN has got (from its cursor); null until the scan is 1% through. Not DBSIZE, which
   * counts every key of the database.
   */
  estimatedTotal: number | null;
  etaSeconds: number | null;
  /**
   * The batch this report follows: the engine reports once per batch, after its commit (in a
   * dry run, after its decisions), and always sets this. Optional for callers that build
   * reports of their own.
   */
  batch?: MigrationBatchReport;
}

/** The counts of one batch: its share of the run's counts (scanned = migrated + unchanged + skipped + rejected). */
export type MigrationBatchCounts = Pick<
  MigrationCounts,
  'scanned' | 'migrated' | 'unchanged' | 'skipped' | 'rejected' | 'conflicts'
>;

/** One batch of a run, as its progress report tells it: for logs that follow a run batch by batch. */
export interface MigrationBatchReport extends MigrationBatchCounts {
  /** The batch's number in the run, from 1; a resumed run goes on from its checkpoint's. */
  number: number;
  /**
   * From asking the reader for the batch to having it validated: the part of the SCAN and
   * fetch that did not overlap earlier batches (the reader reads one batch ahead), and the
   * validation.
   */
  readMs: number;
  /** From handing the batch to a writer to its commit, waiting for the previous batch's turn included. */
  writeMs: number;
}

/**
 * The points of a run an observer can act on, in order. `batch-staged` and `batch-merged` are
 * inside the batch's transaction; `batch-committed` is after its commit and before the next
 * batch is handed over; `scan-finished` is after the last batch, before the run is closed.
 */
export type MigrationStage =
  | 'run-recorded'
  | 'batch-read'
  | 'batch-staged'
  | 'batch-merged'
  | 'batch-committed'
  | 'scan-finished'
  | 'run-finished';

export interface MigrationRequest {
  /** Run the whole pipeline in a read-only transaction and write nothing. */
  dryRun?: boolean;
  conflictPolicy?: ConflictPolicy;
  batchSize?: number;
  /** Resume this run from its last checkpoint. */
  resumeRunId?: string;
  /** Resume the newest interrupted run automatically (default true). */
  autoResume?: boolean;
  onProgress?: (progress: MigrationProgress) => void;
  /** Called once the run is recorded (or resumed), before the first batch. */
  onStart?: (runId: string, resumed: boolean) => void;
  /**
   * Called at each stage of a real run with the batch's number (0 before the first): for
   * observers, and for fault injection in crash tests. It runs synchronously in the engine.
   */
  onStage?: (stage: MigrationStage, batch: number) => void;
  /**
   * Stops the run at the next batch boundary when aborted (its reason a `StopReason`): the
   * batches handed over commit, then the run is recorded `interrupted` (pause, shutdown: the
   * next migration resumes it exactly) or `cancelled`, and `OperationStoppedError` is thrown.
   */
  signal?: AbortSignal;
}

export interface ExceptionSample {
  key: string;
  bucket: ExceptionRow['bucket'];
  reasons: OutcomeReason[];
}

export interface MigrationResult {
  /** Null for a dry run, which records nothing. */
  runId: string | null;
  dryRun: boolean;
  status: 'completed';
  counts: MigrationCounts;
  /** scanned = migrated + unchanged + skipped + rejected. */
  balanced: boolean;
  durationMs: number;
  rate: number;
  resumed: boolean;
  /** The options the run used: a resumed run keeps those it started with. */
  options: MigrationRunOptions;
  /** Up to `SAMPLE_LIMIT` rejected or skipped keys with their reasons. */
  samples: ExceptionSample[];
}

/** What `validateAll` found: valid + rejected + skipped = scanned. */
export interface ValidationReport extends Pick<
  MigrationCounts,
  | 'scanned'
  | 'rejected'
  | 'skipped'
  | 'normalized'
  | 'normalizedByNote'
  | 'rejectedByReason'
  | 'skippedByReason'
> {
  valid: number;
  balanced: boolean;
  durationMs: number;
  samples: ExceptionSample[];
}
