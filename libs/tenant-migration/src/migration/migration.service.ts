import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { InvalidOptionError, throwIfStopped } from '../errors/index.js';
import {
  PostgresSessionFactory,
  type PostgresSession,
} from '../database/postgres-session.factory.js';
import { TenantMergeRepository } from './tenant-merge.repository.js';
import { countExceptions, noteNormalized } from './batch-accounting.js';
import { KeyspaceClassifier } from './keyspace-classifier.js';
import { ScanState } from './scan-state.js';
import { TableLock } from './table-lock.js';
import { emptyCounts, type MigrationRunOptions } from './migration.types.js';
import { RunExecutor, scanOptionsOf } from './run-executor.js';
import { RunStarter } from './run-starter.js';
import { RunState, sampleExceptions } from './run-state.js';
import { fenceTaker, lentSession, openSessions, REAL_RUN_SESSIONS } from './run-sessions.js';
import type {
  ExceptionSample,
  MigrationRequest,
  MigrationResult,
  ValidationReport,
} from './migration-request.types.js';

/**
 * The streaming migration engine: read a batch (SCAN + pipelined fetch), validate and map
 * it, then merge it into PostgreSQL in one transaction that also stores the run's counts
 * and checkpoint. Reading and validating the next batch overlaps with writing the current
 * one. One migration at a time per database (advisory lock). Redis is only read.
 *
 * This is the entry point: it checks the options and sets up a dry run (one read-only
 * snapshot) or a real run (the table's lock, its sessions, the run it continues); the run
 * itself is `RunExecutor`'s, the choice of run `RunStarter`'s.
 */
@Injectable()
export class MigrationService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
    private readonly classifier: KeyspaceClassifier,
    private readonly lock: TableLock,
    private readonly starter: RunStarter,
    private readonly executor: RunExecutor,
  ) {}

  /**
   * Migrates every tenant key (or previews it with `dryRun`). A real run holds the tenants
   * table's lock (no other migration, PostgreSQL restore, sync or cleanup meanwhile).
   */
  async migrate(request: MigrationRequest = {}): Promise<MigrationResult> {
    const runOptions = this.runOptions(request);
    if (request.dryRun) return this.dryRun(runOptions, request);
    return this.lock.hold('migrate', () => this.realRun(runOptions, request));
  }

  /** Resumes the given run from its last committed checkpoint. */
  resume(
    runId: string,
    request: Omit<MigrationRequest, 'resumeRunId' | 'dryRun'> = {},
  ): Promise<MigrationResult> {
    return this.migrate({ ...request, resumeRunId: runId });
  }

  /**
   * Validates every tenant key without touching PostgreSQL; an aborted `signal` stops it at the
   * next batch (OperationStoppedError).
   */
  async validateAll(
    onProgress?: (scanned: number) => void,
    signal?: AbortSignal,
  ): Promise<ValidationReport> {
    const started = Date.now();
    const scan = new ScanState(this.options.keyPrefix, { consultPostgres: false });
    const counts = emptyCounts();
    let valid = 0;
    const samples: ExceptionSample[] = [];
    for await (const batch of this.reader.batches({
      ...scanOptionsOf(this.options, this.options.batchSize),
      seen: scan.seen,
    })) {
      throwIfStopped(signal, { scanned: counts.scanned });
      const prepared = await this.classifier.classify(batch, scan);
      counts.scanned += prepared.scanned;
      valid += prepared.candidates.length;
      for (const c of prepared.candidates) noteNormalized(counts, c);
      countExceptions(counts, prepared.exceptions);
      sampleExceptions(prepared.exceptions, samples);
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

  /** A dry run: the whole pipeline on one session, in a read-only snapshot; nothing recorded. */
  private dryRun(
    runOptions: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<MigrationResult> {
    return this.sessions.withSession(async (client) => {
      await this.sessions.assertSchema(client);
      const state = new RunState(null, runOptions, false);
      const sessions = { writers: [lentSession(client)], takeFence: null };
      return this.sessions.readOnlySnapshot(client, () =>
        this.executor.execute(sessions, state, request),
      );
    });
  }

  /** A real run on three sessions of its own: two write batches in turn, one takes fences. */
  private async realRun(
    runOptions: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<MigrationResult> {
    const opened: PostgresSession[] = [];
    try {
      await openSessions(this.sessions, REAL_RUN_SESSIONS, opened);
      // The table lock has checked the schema already.
      const [first, second, fences] = opened;
      const { run, resumed } = await this.starter.startOrResume(runOptions, request);
      for (const s of [first, second]) await this.merges.prepareSession(s.client);
      request.onStart?.(run.id, resumed);
      request.onStage?.('run-recorded', run.checkpoint?.batches ?? 0);
      const state = new RunState(run, run.options, resumed);
      return await this.executor.execute(
        { writers: [first, second], takeFence: fenceTaker(this.merges, fences) },
        state,
        request,
      );
    } finally {
      for (const session of opened) await session.release();
    }
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
}
