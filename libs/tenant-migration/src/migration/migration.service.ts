import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { migrationLockKey, RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import {
  InvalidOptionError,
  MigrationLockedError,
  MigrationRunNotFoundError,
  RunNotResumableError,
} from '../errors/index.js';
import { PostgresSessionFactory, type PostgresSession } from './postgres-session.factory.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import { TenantMergeRepository, type ExceptionRow, type MergeOutcome } from './tenant-merge.repository.js';
import { accountBatch, countExceptions, noteNormalized } from './batch-accounting.js';
import { decideMerge, type ExistingTenantState, type MergeDecision } from './outcome.js';
import { BatchTurn } from './batch-turn.js';
import { KeyspaceClassifier, type Candidate, type PreparedBatch } from './keyspace-classifier.js';
import {
  addCounts,
  emptyCounts,
  type ConflictPolicy,
  type MigrationCounts,
  type MigrationRunOptions,
  type OutcomeReason,
} from './migration.types.js';
import type { MigrationRunEntity } from './migration-run.entity.js';

export interface MigrationProgress {
  runId: string | null;
  dryRun: boolean;
  counts: MigrationCounts;
  batches: number;
  elapsedMs: number;
  /** Keys per second since this process started the run. */
  rate: number;
  /** Upper bound of the keys to scan (DBSIZE), or null when unknown. */
  estimatedTotal: number | null;
  etaSeconds: number | null;
}

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
export interface ValidationReport
  extends Pick<
    MigrationCounts,
    'scanned' | 'rejected' | 'skipped' | 'normalized' | 'normalizedByNote' | 'rejectedByReason' | 'skippedByReason'
  > {
  valid: number;
  balanced: boolean;
  durationMs: number;
  samples: ExceptionSample[];
}

const SAMPLE_LIMIT = 20;
const CREATED: MergeDecision = { action: 'create' };
const UPDATED: MergeDecision = { action: 'update' };
const CONCURRENT_WRITE: MergeDecision = {
  action: 'skip',
  conflict: true,
  reason: { code: 'concurrent-write', message: 'another writer changed this tenant during the migration; it was kept' },
};

/** One batch on its way to PostgreSQL: where, for which run, and its place in the order. */
interface BatchWrite {
  session: PostgresSession;
  run: MigrationRunEntity | null;
  options: MigrationRunOptions;
  batch: PreparedBatch;
  number: number;
  turn: BatchTurn;
}

export const isBalanced = (c: MigrationCounts): boolean =>
  c.scanned === c.migrated + c.unchanged + c.skipped + c.rejected &&
  c.migrated === c.created + c.updated &&
  Object.values(c.skippedByReason).reduce((a, b) => a + b, 0) === c.skipped;

/**
 * The streaming migration engine: read a batch (SCAN + pipelined fetch), validate and map
 * it, then merge it into PostgreSQL in one transaction that also stores the run's counts
 * and checkpoint. Reading and validating the next batch overlaps with writing the current
 * one. One migration at a time per database (advisory lock). Redis is only read.
 */
@Injectable()
export class MigrationService {
  private readonly logger = new Logger(MigrationService.name);

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly sessions: PostgresSessionFactory,
    private readonly runs: MigrationRunRepository,
    private readonly merges: TenantMergeRepository,
    private readonly classifier: KeyspaceClassifier,
  ) {}

  /** Migrates every tenant key (or previews it with `dryRun`). */
  async migrate(request: MigrationRequest = {}): Promise<MigrationResult> {
    const runOptions = this.runOptions(request);
    const dryRun = request.dryRun ?? false;
    const session = await this.sessions.open();
    try {
      await this.sessions.assertSchema(session.client);
      if (dryRun) return await this.execute([session], null, runOptions, request, false);
      await this.lock(session.client);
      // A second connection lets PostgreSQL stage one batch while it merges the previous one.
      const second = await this.sessions.open();
      try {
        const { run, resumed } = await this.startOrResume(runOptions, request);
        for (const s of [session, second]) await this.merges.prepareSession(s.client);
        request.onStart?.(run.id, resumed);
        return await this.execute([session, second], run, run.options, request, resumed);
      } finally {
        await second.release();
        await session.client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey(this.options.tables.tenants)]).catch(() => undefined);
      }
    } finally {
      await session.release();
    }
  }

  /** Resumes the given run from its last committed checkpoint. */
  resume(runId: string, request: Omit<MigrationRequest, 'resumeRunId' | 'dryRun'> = {}): Promise<MigrationResult> {
    return this.migrate({ ...request, resumeRunId: runId });
  }

  /** Validates every tenant key without touching PostgreSQL. */
  async validateAll(onProgress?: (scanned: number) => void): Promise<ValidationReport> {
    const started = Date.now();
    const seen = new SeenKeySet();
    const counts = emptyCounts();
    let valid = 0;
    const samples: ExceptionSample[] = [];
    for await (const batch of this.reader.batches(this.scanOptions(this.options.batchSize))) {
      const prepared = await this.classifier.classify(batch, seen);
      counts.scanned += prepared.scanned;
      valid += prepared.candidates.length;
      for (const c of prepared.candidates) noteNormalized(counts, c);
      countExceptions(counts, prepared.exceptions);
      this.sample(prepared.exceptions, samples);
      onProgress?.(counts.scanned);
    }
    return {
      scanned: counts.scanned,
      valid,
      rejected: counts.rejected,
      skipped: counts.skipped,
      normalized: counts.normalized,
      normalizedByNote: counts.normalizedByNote,
      rejectedByReason: counts.rejectedByReason,
      skippedByReason: counts.skippedByReason,
      balanced: counts.scanned === valid + counts.rejected + counts.skipped,
      durationMs: Date.now() - started,
      samples,
    };
  }

  private runOptions(request: MigrationRequest): MigrationRunOptions {
    const batchSize = request.batchSize ?? this.options.batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
      throw new InvalidOptionError(`batch size must be an integer from 1 to 50000, got ${batchSize}`, { batchSize });
    }
    return {
      prefix: this.options.keyPrefix,
      batchSize,
      conflictPolicy: request.conflictPolicy ?? this.options.conflictPolicy,
    };
  }

  private scanOptions(batchSize: number, cursor?: string) {
    return { prefix: this.options.keyPrefix, batchSize, maxValueBytes: this.options.maxValueBytes, cursor };
  }

  private async lock(client: PoolClient): Promise<void> {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      migrationLockKey(this.options.tables.tenants),
    ]);
    if (!rows[0]?.locked) {
      const running = await this.runs.findInterrupted('migrate');
      throw new MigrationLockedError('another migration is running on this database; wait for it to finish', {
        runId: running[0]?.id ?? null,
      });
    }
  }

  private async startOrResume(
    options: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<{ run: MigrationRunEntity; resumed: boolean }> {
    if (request.resumeRunId) {
      const run = await this.runs.findById(request.resumeRunId);
      if (!run) throw new MigrationRunNotFoundError(`no migration run ${request.resumeRunId}`, { runId: request.resumeRunId });
      if (run.status === 'completed') {
        throw new RunNotResumableError(`run ${run.id} already completed`, { runId: run.id, status: run.status });
      }
      this.assertSameScope(run, options);
      await this.runs.markStatus(run.id, 'running');
      return { run, resumed: true };
    }
    // We hold the lock, so any run still marked `running` belongs to a process that died.
    // The newest one of this prefix is resumed (unless told not to); the other ones of this
    // prefix are retired, so an old checkpoint is never picked up by a later run.
    const interrupted = (await this.runs.findInterrupted('migrate')).filter((run) => run.options.prefix === options.prefix);
    const candidate = request.autoResume === false ? undefined : interrupted[0];
    for (const run of interrupted) await this.runs.markStatus(run.id, run === candidate ? 'running' : 'abandoned');
    if (candidate) {
      this.logger.log(`resuming interrupted run ${candidate.id} after ${candidate.checkpoint?.batches ?? 0} batches`);
      return { run: candidate, resumed: true };
    }
    return { run: await this.runs.create('migrate', options), resumed: false };
  }

  private assertSameScope(run: MigrationRunEntity, options: MigrationRunOptions): void {
    if (run.options.prefix !== options.prefix) {
      throw new RunNotResumableError(
        `run ${run.id} migrated prefix "${run.options.prefix}", this process is configured for "${options.prefix}"`,
        { runId: run.id },
      );
    }
  }

  private async execute(
    sessions: PostgresSession[],
    run: MigrationRunEntity | null,
    options: MigrationRunOptions,
    request: MigrationRequest,
    resumed: boolean,
  ): Promise<MigrationResult> {
    const dryRun = run === null;
    const started = Date.now();
    const counts: MigrationCounts = run ? { ...emptyCounts(), ...run.counts } : emptyCounts();
    const scannedAtStart = counts.scanned;
    let batchNumber = run?.checkpoint?.batches ?? 0;
    const samples: ExceptionSample[] = [];
    const seen = new SeenKeySet();
    const estimatedTotal = request.onProgress ? await this.reader.estimateTotal().catch(() => null) : null;
    if (dryRun) await sessions[0].client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');

    // Up to one batch per session is being written while the next is read and validated.
    const writing: Promise<void>[] = [];
    let previous: BatchTurn | null = null;
    let failure: unknown = null;
    try {
      const cursor = run?.checkpoint?.cursor;
      if (cursor === '0') {
        this.logger.log(`run ${run?.id} had already scanned everything; finishing it`);
      } else {
        for await (const batch of this.reader.batches(this.scanOptions(options.batchSize, cursor))) {
          const prepared = await this.classifier.classify(batch, seen);
          if (writing.length >= sessions.length) await writing.shift();
          if (failure) break;
          const number = ++batchNumber;
          const turn: BatchTurn = new BatchTurn(previous);
          previous = turn;
          const write = { session: sessions[number % sessions.length], run, options, batch: prepared, number, turn };
          writing.push(
            this.commitBatch(write, counts, samples)
              .then(() => request.onProgress?.(this.progress(run, counts, number, started, scannedAtStart, estimatedTotal)))
              .catch((error: unknown) => {
                failure ??= error;
              }),
          );
        }
      }
      await Promise.all(writing);
      if (failure) throw failure;
      if (dryRun) await sessions[0].client.query('ROLLBACK');
      const durationMs = Date.now() - started;
      if (run) await this.runs.finish(run.id, 'completed', counts, durationMs + (run.durationMs ?? 0));
      return {
        runId: run?.id ?? null,
        dryRun,
        status: 'completed',
        counts,
        balanced: isBalanced(counts),
        durationMs,
        rate: Math.round(((counts.scanned - scannedAtStart) / Math.max(durationMs, 1)) * 1000),
        resumed,
        options,
        samples,
      };
    } catch (error) {
      await Promise.all(writing);
      if (dryRun) await sessions[0].client.query('ROLLBACK').catch(() => undefined);
      if (run) {
        const message = error instanceof Error ? error.message : String(error);
        await this.runs.finish(run.id, 'failed', counts, Date.now() - started, message).catch(() => undefined);
      }
      throw error;
    }
  }

  private progress(
    run: MigrationRunEntity | null,
    counts: MigrationCounts,
    batches: number,
    started: number,
    scannedAtStart: number,
    estimatedTotal: number | null,
  ): MigrationProgress {
    const elapsedMs = Date.now() - started;
    const rate = ((counts.scanned - scannedAtStart) / Math.max(elapsedMs, 1)) * 1000;
    const remaining = estimatedTotal === null ? null : Math.max(estimatedTotal - counts.scanned, 0);
    return {
      runId: run?.id ?? null,
      dryRun: run === null,
      counts,
      batches,
      elapsedMs,
      rate: Math.round(rate),
      estimatedTotal,
      etaSeconds: remaining === null || rate === 0 ? null : Math.round(remaining / rate),
    };
  }

  /**
   * Writes, decides and accounts one batch; in a real run atomically with its checkpoint.
   *
   * A real run stages and merges first (the ON CONFLICT predicate is the SQL form of
   * `decideMerge`), then reads the state of only the rows it did not write, to say why:
   * unchanged, conflict, or held by another key. A dry run reads the state of every row and
   * decides in memory. `turn` orders merges and commits across sessions.
   */
  private async commitBatch(write: BatchWrite, counts: MigrationCounts, samples: ExceptionSample[]): Promise<void> {
    const { session, run, options, batch, number, turn } = write;
    const { client } = session;
    try {
      let merged: MergeOutcome | null = null;
      if (run) {
        // The batch and its checkpoint commit together, so a server crash that loses the
        // last commits only rewinds the checkpoint with them: no need to wait for the WAL.
        await client.query('BEGIN; SET LOCAL synchronous_commit TO OFF');
        await this.merges.stage(client, batch.candidates);
        await turn.previous?.merged.done;
        merged = await this.merges.mergeStaged(client, options.conflictPolicy);
      }
      turn.merged.resolve();
      const unwritten = merged ? [...merged.unwritten] : batch.candidates.map((c) => c.record.subdomain);
      const existing = await this.merges.findExisting(client, unwritten);

      const { counts: delta, exceptions } = accountBatch(batch, (c) => this.decide(c, merged, existing, options.conflictPolicy));
      this.sample(exceptions, samples);
      if (run) await this.merges.insertExceptions(client, run.id, exceptions);
      await turn.previous?.committed.done;
      const next = addCounts(counts, delta);
      if (run) await this.runs.checkpointAndCommit(client, run.id, next, { cursor: batch.cursor, batches: number });
      Object.assign(counts, next);
      turn.committed.resolve();
    } catch (error) {
      turn.fail(error);
      if (run) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The outcome of one candidate: what the merge did, or (dry run / not written) why not. */
  private decide(
    c: Candidate,
    merged: MergeOutcome | null,
    existing: Map<string, ExistingTenantState>,
    policy: ConflictPolicy,
  ): MergeDecision {
    const { subdomain } = c.record;
    if (merged && !merged.unwritten.has(subdomain)) return merged.updated.has(subdomain) ? UPDATED : CREATED;
    const decision = decideMerge(existing.get(subdomain), { sourceHash: c.record.sourceHash, sourceKey: c.key }, policy);
    if (!merged || (decision.action !== 'create' && decision.action !== 'update')) return decision;
    // The merge's guard refused a row the decision would write: another writer changed it
    // between the merge and this read. It is kept as it is and counted apart.
    return CONCURRENT_WRITE;
  }

  /** Keeps the first few exceptions as samples. */
  private sample(exceptions: ExceptionRow[], samples: ExceptionSample[]): void {
    for (const e of exceptions) {
      if (samples.length >= SAMPLE_LIMIT) return;
      samples.push({ key: e.key, bucket: e.bucket, reasons: e.reasons });
    }
  }
}
