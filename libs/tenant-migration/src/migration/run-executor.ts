import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader, type KeyspaceScanOptions } from '../source/redis-keyspace.reader.js';
import { errorMessage } from '../common/error-message.js';
import { stopReasonOf, type StopReason } from '../common/stop-signal.js';
import { OperationStoppedError } from '../errors/index.js';
import { MIGRATION_OBSERVER, type MigrationObserver } from '../common/migration-observer.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import { BatchWriter, type BatchWrite } from './batch-writer.js';
import { KeyspaceClassifier, type PreparedBatch } from './keyspace-classifier.js';
import type { RunSessions } from './run-sessions.js';
import type { RunState } from './run-state.js';
import type { MigrationRequest, MigrationResult } from './migration-request.types.js';

/** What the reader is asked for: the configured prefix and value limit, in batches of `batchSize`. */
export const scanOptionsOf = (
  options: ResolvedTenantMigrationOptions,
  batchSize: number,
): KeyspaceScanOptions => ({
  prefix: options.keyPrefix,
  batchSize,
  maxValueBytes: options.maxValueBytes,
});

/**
 * Runs one execution of a run (or a dry run) to its end: reads the keyspace in batches (from
 * the checkpoint, if any), classifies each, and hands it to a writer session while the next
 * is read and validated. A run that completes is closed with its counts; one that fails is
 * marked interrupted, to be resumed from its last commit.
 */
@Injectable()
export class RunExecutor {
  // Log lines keep the engine's name, as before the engine was split into parts.
  private readonly logger = new Logger('MigrationService');

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly runs: MigrationRunRepository,
    private readonly classifier: KeyspaceClassifier,
    private readonly writer: BatchWriter,
    @Optional()
    @Inject(MIGRATION_OBSERVER)
    private readonly observer: MigrationObserver | null = null,
  ) {}

  async execute(
    sessions: RunSessions,
    state: RunState,
    request: MigrationRequest,
  ): Promise<MigrationResult> {
    const { run } = state;
    // Every key the run accounted for before it was interrupted is recognised, wherever the
    // resumed scan meets it again.
    if (run && state.resumed)
      await this.runs.forEachFingerprints(run.id, (fingerprints) =>
        state.scan.seen.addFingerprints(fingerprints),
      );
    state.databaseSize = request.onProgress
      ? await this.reader.databaseSize().catch(() => null)
      : null;
    try {
      if (state.scanFinished) {
        this.logger.log(`run ${run?.id} had already scanned everything; finishing it`);
      } else {
        await this.streamBatches(sessions, state, request);
      }
      await Promise.all(state.writing);
      if (state.failed) throw state.failure;
      if (state.stoppedBy) return await this.stop(state, state.stoppedBy);
      request.onStage?.('scan-finished', state.batchNumber);
      const durationMs = Date.now() - state.started;
      if (run)
        await this.runs.finish(
          run.id,
          'completed',
          state.counts,
          durationMs + (run.durationMs ?? 0),
        );
      if (run) request.onStage?.('run-finished', state.batchNumber);
      return state.result(durationMs);
    } catch (error) {
      await Promise.all(state.writing);
      if (error instanceof OperationStoppedError) throw error;
      if (run) {
        // Everything committed is checkpointed with its batch and no record fails a batch, so
        // whatever stopped the run (a store that went away, a lost connection, a cancelled
        // statement), it resumes exactly where its last commit left it: the next `migrate`
        // picks it up. Should this write be lost with the connection, the run stays `running`,
        // which is resumed the same way.
        const message = errorMessage(error);
        await this.runs
          .finish(run.id, 'interrupted', state.counts, Date.now() - state.started, message)
          .catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Records a run stopped at a batch boundary (every batch handed over has committed): a
   * cancelled run is closed; a paused or shut-down one is `interrupted`, which the next
   * migration (or the operation's resume) continues exactly from its checkpoint.
   */
  private async stop(state: RunState, reason: StopReason): Promise<never> {
    const { run } = state;
    if (run)
      await this.runs.finish(
        run.id,
        reason === 'cancel' ? 'cancelled' : 'interrupted',
        state.counts,
        Date.now() - state.started + (run.durationMs ?? 0),
        reason === 'cancel' ? 'cancelled by an operator' : `stopped: ${reason}`,
      );
    this.logger.log(
      `run ${run?.id ?? '(dry run)'} stopped on ${reason} after ${state.batchNumber} batches`,
    );
    throw new OperationStoppedError(reason, {
      runId: run?.id ?? null,
      counts: { ...state.counts },
    });
  }

  /**
   * Reads, classifies and hands over every batch; stops handing over at the first failure, or
   * when the request's signal is aborted (the batches handed over still commit).
   */
  private async streamBatches(
    sessions: RunSessions,
    state: RunState,
    request: MigrationRequest,
  ): Promise<void> {
    const { checkpoint } = state;
    const batches = this.reader.batches({
      ...scanOptionsOf(this.options, state.options.batchSize),
      resumeFrom: checkpoint
        ? { cursor: checkpoint.cursor, server: checkpoint.server ?? null }
        : undefined,
      seen: state.scan.seen,
      beforeFetch: sessions.takeFence ?? undefined,
      onRestart: ({ from, to }) =>
        this.logger.warn(
          `Redis answers from another server (${from ?? 'unknown'} -> ${to ?? 'unknown'}): its SCAN cursor is void, scanning again from the start; keys already accounted for are passed over`,
        ),
    });
    let askedAt = Date.now();
    for await (const batch of batches) {
      const stop = stopReasonOf(request.signal);
      if (stop) {
        state.stoppedBy = stop;
        break;
      }
      const prepared = await this.classifier.classify(batch, state.scan);
      const readMs = Date.now() - askedAt;
      if (state.writing.length >= sessions.writers.length) await state.writing.shift();
      if (state.failed) break;
      this.handOver(sessions, state, request, prepared, readMs);
      askedAt = Date.now();
    }
  }

  /** Starts writing one batch on the next writer session; its report follows its commit. */
  private handOver(
    sessions: RunSessions,
    state: RunState,
    request: MigrationRequest,
    prepared: PreparedBatch,
    readMs: number,
  ): void {
    const { writers } = sessions;
    const number = ++state.batchNumber;
    request.onStage?.('batch-read', number);
    const write: BatchWrite = {
      session: writers[number % writers.length],
      run: state.run,
      options: state.options,
      batch: prepared,
      number,
      turn: state.nextTurn(),
      secret: state.secretHex,
      path: state.writePath,
      onStage: request.onStage,
    };
    const handedAt = Date.now();
    state.writing.push(
      this.writer
        .write(write, state.counts)
        .then((exceptions) => {
          state.sample(exceptions);
          const writeMs = Date.now() - handedAt;
          this.observer?.onBatch(state.observation(exceptions, readMs, writeMs));
          if (!request.onProgress) return;
          const report = state.batchReport(number, readMs, writeMs);
          request.onProgress({ ...state.progress(number, prepared.cursor), batch: report });
        })
        .catch((error: unknown) => state.fail(error)),
    );
  }
}
