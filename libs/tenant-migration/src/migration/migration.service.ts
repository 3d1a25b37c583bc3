import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { FINGERPRINT_SECRET_BYTES } from '../common/seen-key-set.js';
import {
  RedisKeyspaceReader,
  scanFraction,
  type KeyspaceScanOptions,
} from '../source/redis-keyspace.reader.js';
import {
  InvalidOptionError,
  MigrationRunNotFoundError,
  RunNotResumableError,
} from '../errors/index.js';
import {
  PostgresSessionFactory,
  type PostgresSession,
} from '../database/postgres-session.factory.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import {
  quarantineName,
  TenantMergeRepository,
  type ExceptionRow,
} from './tenant-merge.repository.js';
import { countExceptions, countsSince, noteNormalized } from './batch-accounting.js';
import { BatchTurn } from './batch-turn.js';
import { BatchWriter } from './batch-writer.js';
import { KeyspaceClassifier } from './keyspace-classifier.js';
import { ScanState } from './scan-state.js';
import { TableLock } from './table-lock.js';
import { emptyCounts, type MigrationCounts, type MigrationRunOptions } from './migration.types.js';
import type { MigrationRunEntity } from './migration-run.entity.js';

import type {
  ExceptionSample,
  MigrationProgress,
  MigrationRequest,
  MigrationResult,
  ValidationReport,
} from './migration-request.types.js';
import { errorMessage } from '../common/error-message.js';

export type {
  ExceptionSample,
  MigrationBatchCounts,
  MigrationBatchReport,
  MigrationProgress,
  MigrationRequest,
  MigrationResult,
  MigrationStage,
  ValidationReport,
} from './migration-request.types.js';

/** Whether a run's checkpoint lets it resume exactly (it keeps the run's fingerprint secret). */
const resumableExactly = (run: MigrationRunEntity): boolean =>
  run.checkpoint === null || run.checkpoint.secret !== undefined;

const SAMPLE_LIMIT = 20;
/** How far a scan must be through before its key count is estimated (earlier it is noise). */
const MIN_FRACTION_FOR_ESTIMATE = 0.01;

/** Everything one execution of a run needs: where it writes, what it remembers. */
interface RunContext {
  /** Sessions that write batches (two overlap), or the dry run's one read-only session. */
  writers: PostgresSession[];
  /** Where a real run takes its write fences; null for a dry run. */
  fences: PostgresSession | null;
  run: MigrationRunEntity | null;
  options: MigrationRunOptions;
  request: MigrationRequest;
  resumed: boolean;
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
    private readonly writer: BatchWriter,
    private readonly lock: TableLock,
  ) {}

  /**
   * Migrates every tenant key (or previews it with `dryRun`). A real run holds the tenants
   * table's lock (no other migration, PostgreSQL restore, sync or cleanup meanwhile).
   */
  async migrate(request: MigrationRequest = {}): Promise<MigrationResult> {
    const runOptions = this.runOptions(request);
    if (request.dryRun) {
      return this.sessions.withSession(async (client) => {
        const session = { client, release: async () => undefined, discard: async () => undefined };
        await this.sessions.assertSchema(client);
        return this.execute({
          writers: [session],
          fences: null,
          run: null,
          options: runOptions,
          request,
          resumed: false,
        });
      });
    }
    return this.lock.hold('migrate', () => this.realRun(runOptions, request));
  }

  /** A real run on three sessions of its own: two write batches in turn, one takes fences. */
  private async realRun(
    runOptions: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<MigrationResult> {
    const opened: PostgresSession[] = [];
    try {
      for (let i = 0; i < 3; i++) opened.push(await this.sessions.open());
      // The table lock has checked the schema already.
      const [first, second, fences] = opened;
      const { run, resumed } = await this.startOrResume(runOptions, request);
      for (const s of [first, second]) await this.merges.prepareSession(s.client);
      request.onStart?.(run.id, resumed);
      request.onStage?.('run-recorded', run.checkpoint?.batches ?? 0);
      return await this.execute({
        writers: [first, second],
        fences,
        run,
        options: run.options,
        request,
        resumed,
      });
    } finally {
      for (const session of opened) await session.release();
    }
  }

  /** Resumes the given run from its last committed checkpoint. */
  resume(
    runId: string,
    request: Omit<MigrationRequest, 'resumeRunId' | 'dryRun'> = {},
  ): Promise<MigrationResult> {
    return this.migrate({ ...request, resumeRunId: runId });
  }

  /** Validates every tenant key without touching PostgreSQL. */
  async validateAll(onProgress?: (scanned: number) => void): Promise<ValidationReport> {
    const started = Date.now();
    const scan = new ScanState(this.options.keyPrefix, { consultPostgres: false });
    const counts = emptyCounts();
    let valid = 0;
    const samples: ExceptionSample[] = [];
    for await (const batch of this.reader.batches({
      ...this.scanOptions(this.options.batchSize),
      seen: scan.seen,
    })) {
      const prepared = await this.classifier.classify(batch, scan);
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
      throw new InvalidOptionError(
        `batch size must be an integer from 1 to 50000, got ${batchSize}`,
        { batchSize },
      );
    }
    return {
      prefix: this.options.keyPrefix,
      batchSize,
      conflictPolicy: request.conflictPolicy ?? this.options.conflictPolicy,
    };
  }

  private scanOptions(batchSize: number): KeyspaceScanOptions {
    return { prefix: this.options.keyPrefix, batchSize, maxValueBytes: this.options.maxValueBytes };
  }

  private async startOrResume(
    options: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<{ run: MigrationRunEntity; resumed: boolean }> {
    if (request.resumeRunId) {
      const run = await this.runs.findById(request.resumeRunId);
      if (!run)
        throw new MigrationRunNotFoundError(`no migration run ${request.resumeRunId}`, {
          runId: request.resumeRunId,
        });
      if (run.status === 'completed') {
        throw new RunNotResumableError(`run ${run.id} already completed`, {
          runId: run.id,
          status: run.status,
        });
      }
      this.assertSameScope(run, options);
      if (!resumableExactly(run)) {
        throw new RunNotResumableError(
          `run ${run.id} was checkpointed before key fingerprints were kept; it cannot be resumed exactly: start a new run`,
          {
            runId: run.id,
          },
        );
      }
      await this.runs.markStatus(run.id, 'running');
      return { run, resumed: true };
    }
    // We hold the lock, so any run still marked `running` belongs to a process that died.
    // The newest one of this prefix is resumed (unless told not to); the other ones of this
    // prefix are retired, so an old checkpoint is never picked up by a later run.
    const interrupted = (await this.runs.findInterrupted('migrate')).filter(
      (run) => run.options.prefix === options.prefix,
    );
    // A run checkpointed before key fingerprints were kept cannot be resumed without counting
    // keys twice: it is retired, and a new run accounts for every key afresh.
    const candidate =
      request.autoResume === false || !interrupted[0] || !resumableExactly(interrupted[0])
        ? undefined
        : interrupted[0];
    for (const run of interrupted)
      await this.runs.markStatus(run.id, run === candidate ? 'running' : 'abandoned');
    if (candidate) {
      this.logger.log(
        `resuming interrupted run ${candidate.id} after ${candidate.checkpoint?.batches ?? 0} batches`,
      );
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

  private async execute(ctx: RunContext): Promise<MigrationResult> {
    const { writers, run, options, request, resumed } = ctx;
    const dryRun = run === null;
    const started = Date.now();
    const counts: MigrationCounts = run ? { ...emptyCounts(), ...run.counts } : emptyCounts();
    const scannedAtStart = counts.scanned;
    const checkpoint = run?.checkpoint ?? null;
    let batchNumber = checkpoint?.batches ?? 0;
    const samples: ExceptionSample[] = [];
    const secret = checkpoint?.secret
      ? Buffer.from(checkpoint.secret, 'hex')
      : randomBytes(FINGERPRINT_SECRET_BYTES);
    const scan = new ScanState(options.prefix, { secret });
    // Every key the run accounted for before it was interrupted is recognised, wherever the
    // resumed scan meets it again.
    if (run && resumed)
      await this.runs.forEachFingerprints(run.id, (fingerprints) =>
        scan.seen.addFingerprints(fingerprints),
      );
    const databaseSize = request.onProgress
      ? await this.reader.databaseSize().catch(() => null)
      : null;
    if (dryRun) await writers[0].client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');

    // Up to one batch per session is being written while the next is read and validated.
    const writing: Promise<void>[] = [];
    let previous: BatchTurn | null = null;
    let failure: unknown = null;
    // The counts as of the last progress report (a resumed run's from its checkpoint). Batches
    // add their counts in order (BatchTurn), and each report is made before the next batch adds
    // its own (in a real run that waits for its commit, a dry run writes one batch at a time),
    // so the difference is exactly the reported batch's share.
    let reported: MigrationCounts = { ...counts };
    try {
      if (checkpoint?.cursor === '0') {
        this.logger.log(`run ${run?.id} had already scanned everything; finishing it`);
      } else {
        const fences = ctx.fences;
        const batches = this.reader.batches({
          ...this.scanOptions(options.batchSize),
          resumeFrom: checkpoint
            ? { cursor: checkpoint.cursor, server: checkpoint.server ?? null }
            : undefined,
          seen: scan.seen,
          beforeFetch: fences
            ? () =>
                this.merges.fence(
                  async (sql) => (await fences.client.query<{ fence: string }>(sql)).rows,
                )
            : undefined,
          onRestart: ({ from, to }) =>
            this.logger.warn(
              `Redis answers from another server (${from ?? 'unknown'} -> ${to ?? 'unknown'}): its SCAN cursor is void, scanning again from the start; keys already accounted for are passed over`,
            ),
        });
        let askedAt = Date.now();
        for await (const batch of batches) {
          const prepared = await this.classifier.classify(batch, scan);
          const readMs = Date.now() - askedAt;
          if (writing.length >= writers.length) await writing.shift();
          if (failure) break;
          const number = ++batchNumber;
          request.onStage?.('batch-read', number);
          const turn: BatchTurn = new BatchTurn(previous);
          previous = turn;
          const write = {
            session: writers[number % writers.length],
            run,
            options,
            batch: prepared,
            number,
            turn,
            secret: secret.toString('hex'),
            onStage: request.onStage,
          };
          const handedAt = Date.now();
          writing.push(
            this.writer
              .write(write, counts)
              .then((exceptions) => {
                this.sample(exceptions, samples);
                if (!request.onProgress) return;
                const report = {
                  number,
                  ...countsSince(reported, counts),
                  readMs,
                  writeMs: Date.now() - handedAt,
                };
                reported = { ...counts };
                request.onProgress({
                  ...this.progress(
                    run,
                    counts,
                    number,
                    started,
                    scannedAtStart,
                    databaseSize,
                    prepared.cursor,
                  ),
                  batch: report,
                });
              })
              .catch((error: unknown) => {
                failure ??= error;
              }),
          );
          askedAt = Date.now();
        }
      }
      await Promise.all(writing);
      if (failure) throw failure;
      if (dryRun) await writers[0].client.query('ROLLBACK');
      request.onStage?.('scan-finished', batchNumber);
      const durationMs = Date.now() - started;
      if (run)
        await this.runs.finish(run.id, 'completed', counts, durationMs + (run.durationMs ?? 0));
      if (run) request.onStage?.('run-finished', batchNumber);
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
      if (dryRun) await writers[0].client.query('ROLLBACK').catch(() => undefined);
      if (run) {
        // Everything committed is checkpointed with its batch and no record fails a batch, so
        // whatever stopped the run (a store that went away, a lost connection, a cancelled
        // statement), it resumes exactly where its last commit left it: the next `migrate`
        // picks it up. Should this write be lost with the connection, the run stays `running`,
        // which is resumed the same way.
        const message = errorMessage(error);
        await this.runs
          .finish(run.id, 'interrupted', counts, Date.now() - started, message)
          .catch(() => undefined);
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
    databaseSize: number | null,
    cursor: string,
  ): MigrationProgress {
    const elapsedMs = Date.now() - started;
    const rate = ((counts.scanned - scannedAtStart) / Math.max(elapsedMs, 1)) * 1000;
    const fraction = databaseSize === null ? 0 : scanFraction(cursor, databaseSize);
    const estimatedTotal =
      fraction >= MIN_FRACTION_FOR_ESTIMATE
        ? Math.max(counts.scanned, Math.round(counts.scanned / fraction))
        : null;
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

  /** Keeps the first few exceptions as samples. */
  private sample(exceptions: ExceptionRow[], samples: ExceptionSample[]): void {
    for (const e of exceptions) {
      if (samples.length >= SAMPLE_LIMIT) return;
      samples.push({ key: quarantineName(e), bucket: e.bucket, reasons: e.reasons });
    }
  }
}
