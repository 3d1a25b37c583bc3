import type { MigrationProgress } from '../migration/migration-request.types.js';
import type { MigrationService } from '../migration/migration.service.js';
import type { BackupService } from '../backup/backup.service.js';
import type { IntegrityService } from '../integrity/integrity.service.js';
import type { ReportService } from '../integrity/report.service.js';
import type { SyncService } from '../integrity/sync.service.js';
import type { CleanupService } from '../integrity/cleanup.service.js';
import type { MigrationTests } from '../self-test/migration-tests.service.js';
import type { ConflictPolicy } from '../migration/migration.types.js';
import { redisBackupCheckpointOf } from '../backup/backup-partial.js';
import { InvalidOptionError } from '../errors/index.js';
import { cleanupCheckpointOf } from '../integrity/cleanup.types.js';
import { integrityCheckpointOf } from '../integrity/integrity-checkpoint.js';
import type {
  OperationKind,
  OperationParams,
  OperationProgress,
  ProgressUnit,
} from './operation.types.js';

/** The services the kinds run on. */
export interface OperationServices {
  migrations: MigrationService;
  backups: BackupService;
  integrity: IntegrityService;
  reports: ReportService;
  syncs: SyncService;
  cleanups: CleanupService;
  selfTests: MigrationTests;
}

/** What a running operation's task gets from its worker. */
export interface OperationContext {
  operationId: string;
  actor: string;
  /** Aborted (with a `StopReason`) when the operation is cancelled, paused or shut down. */
  signal: AbortSignal;
  /** The migration run an earlier execution recorded: a resume continues it. */
  runId: string | null;
  /** Where an earlier execution stopped, when it left a checkpoint (OperationStoppedError). */
  checkpoint: Readonly<Record<string, unknown>> | null;
  /** The latest progress; the worker writes it with its next heartbeat. */
  report(progress: OperationProgress): void;
  /** Records the migration run the operation works on, as soon as it is recorded. */
  attachRun(runId: string, resumed: boolean): void;
}

type Run = (
  services: OperationServices,
  params: OperationParams,
  context: OperationContext,
) => Promise<object>;

/** One kind of operation: its parameters, what it holds, what control it obeys, and its task. */
export interface OperationKindSpec {
  /** The parameters the kind takes (their types are checked by the request's DTO). */
  params: readonly string[];
  /** What the operation holds exclusively while active, given its parameters; null: nothing. */
  exclusive: (params: OperationParams) => string | null;
  /** Whether a running one stops at its next batch when cancelled. */
  cancellable: boolean;
  /**
   * Whether a running one can be paused (at its next batch boundary): `continues` resumes it
   * from its checkpoint, key for key (a migration from its run, a Redis backup from its partial
   * file, a check from the Redis side it staged, a cleanup from the backup entries it
   * examined); `restarts` runs it again from the start on resume (read-only tasks: they keep
   * nothing of a stopped execution, so the resumed one gives what an uninterrupted one gives);
   * false: it cannot be paused.
   */
  pausable: 'continues' | 'restarts' | false;
  run: Run;
  /**
   * Lets go of what a stopped execution kept for its resume (a suspended backup's partial
   * file), when the operation is cancelled instead of resumed.
   */
  discard?: (
    services: OperationServices,
    checkpoint: Readonly<Record<string, unknown>>,
  ) => Promise<void>;
  /**
   * Lets go of what stopped executions kept that no checkpoint of the kind names any more
   * (`kept`: every checkpoint its operations hold); returns what it removed, for the log.
   */
  discardOrphans?: (
    services: OperationServices,
    kept: readonly Readonly<Record<string, unknown>>[],
  ) => Promise<string[]>;
}

/** How long what a stopped execution kept may go unnamed by any checkpoint before it is removed. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

/** The scope every exclusive kind holds: the tenants table and the keyspace it comes from. */
export const TENANTS_SCOPE = 'tenants';

const holdsTenants = (): string => TENANTS_SCOPE;
const holdsTenantsWhenConfirmed = (params: OperationParams): string | null =>
  params.confirm === true ? TENANTS_SCOPE : null;
const nothing = (): null => null;

/** A progress report of items (`unit`) done out of an optional total, since `started`. */
export const progressOf = (
  phase: string,
  unit: ProgressUnit,
  done: number,
  total: number | null,
  started: number,
  counts: Record<string, number> = {},
): OperationProgress => {
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : null;
  const etaSeconds =
    total !== null && rate !== null && rate > 0
      ? Math.max(0, Math.round((total - done) / rate))
      : null;
  return { phase, unit, done, total, counts, rate, etaSeconds };
};

/** A migration's own progress report as the operation's. */
const migrationProgress = (progress: MigrationProgress): OperationProgress => {
  const { counts } = progress;
  return {
    phase: progress.dryRun ? 'dry-run' : 'migrating',
    unit: 'keys',
    done: counts.scanned,
    total: progress.estimatedTotal,
    counts: {
      batches: progress.batches,
      migrated: counts.migrated,
      created: counts.created,
      updated: counts.updated,
      unchanged: counts.unchanged,
      skipped: counts.skipped,
      rejected: counts.rejected,
      conflicts: counts.conflicts,
    },
    rate: progress.rate,
    etaSeconds: progress.etaSeconds,
  };
};

const migrationRequest = (params: OperationParams, context: OperationContext) => ({
  batchSize: params.batchSize as number | undefined,
  conflictPolicy: params.conflictPolicy as ConflictPolicy | undefined,
  signal: context.signal,
  onProgress: (progress: MigrationProgress) => context.report(migrationProgress(progress)),
});

/** A counter of items for a service that reports how many it has done (and of how many, where known). */
const counting = (context: OperationContext, phase: string, unit: ProgressUnit = 'keys') => {
  const started = Date.now();
  return (done: number, total?: number | null) =>
    context.report(progressOf(phase, unit, done, total ?? null, started));
};

/**
 * Every kind of operation, in one table: the admin API's resource routes, its `?action=` routes
 * and the workers all go through it.
 */
export const OPERATION_KIND_SPECS: Readonly<Record<OperationKind, OperationKindSpec>> = {
  migrate: {
    params: ['batchSize', 'conflictPolicy'],
    exclusive: holdsTenants,
    cancellable: true,
    pausable: 'continues',
    run: ({ migrations }, params, context) =>
      migrations.migrate({
        ...migrationRequest(params, context),
        // A resumed operation continues its own run; a new one continues the newest
        // interrupted run, as `migrate` always does.
        resumeRunId: context.runId ?? undefined,
        onStart: (runId, resumed) => context.attachRun(runId, resumed),
      }),
  },
  'dry-run': {
    params: ['batchSize', 'conflictPolicy'],
    exclusive: nothing,
    cancellable: true,
    pausable: 'restarts',
    run: ({ migrations }, params, context) =>
      migrations.migrate({ ...migrationRequest(params, context), dryRun: true }),
  },
  validate: {
    params: [],
    exclusive: nothing,
    cancellable: true,
    pausable: 'restarts',
    run: ({ migrations }, _params, context) =>
      migrations.validateAll(counting(context, 'validating'), context.signal),
  },
  check: {
    params: ['limit'],
    exclusive: nothing,
    cancellable: true,
    pausable: 'continues',
    run: ({ integrity }, params, context) =>
      integrity.check({
        limit: (params.limit as number | undefined) ?? 1000,
        signal: context.signal,
        suspendable: true,
        resumeFrom: integrityCheckpointOf(context.checkpoint) ?? undefined,
        onProgress: counting(context, 'comparing'),
      }),
    discard: ({ integrity }, checkpoint) => integrity.discardSuspended(checkpoint),
    discardOrphans: ({ integrity }, kept) =>
      integrity.dropOrphanedSuspensions(kept, ORPHAN_GRACE_MS),
  },
  report: {
    params: ['limit'],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ reports }, params) => reports.report((params.limit as number | undefined) ?? 1000),
  },
  backup: {
    params: [],
    exclusive: nothing,
    cancellable: true,
    pausable: 'continues',
    run: ({ backups }, _params, context) =>
      backups.backupRedis({
        actor: context.actor,
        signal: context.signal,
        suspendable: true,
        resumeFrom: redisBackupCheckpointOf(context.checkpoint) ?? undefined,
        onProgress: counting(context, 'writing', 'entries'),
      }),
    discard: ({ backups }, checkpoint) => backups.discardSuspended(checkpoint),
    discardOrphans: ({ backups }, kept) => backups.discardOrphanedPartials(kept, ORPHAN_GRACE_MS),
  },
  'backup-postgres': {
    params: [],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ backups }, _params, context) => backups.backupPostgres({ actor: context.actor }),
  },
  'backup-verify': {
    params: ['backup', 'live'],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ backups }, params, context) =>
      backups.verify(params.backup as string, {
        live: params.live === true,
        actor: context.actor,
        onProgress: counting(context, 'verifying', 'entries'),
      }),
  },
  restore: {
    params: ['backup', 'confirm', 'overwrite', 'confirmOverwrite'],
    exclusive: holdsTenantsWhenConfirmed,
    cancellable: false,
    pausable: false,
    run: ({ backups }, params, context) =>
      backups.restoreRedis(params.backup as string, {
        dryRun: params.confirm !== true,
        overwrite: params.overwrite === true,
        actor: context.actor,
        onVerifyProgress: counting(context, 'verifying', 'entries'),
        onProgress: counting(context, 'restoring', 'entries'),
      }),
  },
  'restore-postgres': {
    params: ['backup', 'confirm'],
    exclusive: holdsTenantsWhenConfirmed,
    cancellable: false,
    pausable: false,
    run: ({ backups }, params, context) =>
      backups.restorePostgres(params.backup as string, {
        dryRun: params.confirm !== true,
        actor: context.actor,
      }),
  },
  cleanup: {
    params: ['confirm'],
    exclusive: holdsTenantsWhenConfirmed,
    cancellable: true,
    pausable: 'continues',
    run: ({ cleanups }, params, context) =>
      cleanups.cleanup({
        dryRun: params.confirm !== true,
        actor: context.actor,
        signal: context.signal,
        resumeFrom: cleanupCheckpointOf(context.checkpoint) ?? undefined,
        onVerifyProgress: counting(context, 'verifying', 'entries'),
        onProgress: counting(context, 'cleaning up'),
      }),
  },
  'sync-drifted': {
    params: ['prefer', 'dryRun'],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ syncs }, params, context) =>
      syncs.syncAllDrifted({
        prefer: params.prefer as 'redis' | 'postgres' | undefined,
        dryRun: params.dryRun === true,
        actor: context.actor,
      }),
  },
  'sync-pending': {
    params: ['dryRun'],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ syncs }, params, context) =>
      syncs.syncPending({ dryRun: params.dryRun === true, actor: context.actor }),
  },
  'self-test': {
    params: ['sampleSize'],
    exclusive: nothing,
    cancellable: false,
    pausable: false,
    run: ({ selfTests }, params) =>
      selfTests.runAllTests({ sampleSize: params.sampleSize as number | undefined }),
  },
};

/**
 * The parameters, checked against the kind's list; restore's overwrite needs its own
 * confirmation. The InvalidOptionError's context says what is wrong in terms a caller can
 * restate in its own (the CLI names flags): `misplaced` (with what the kind `takes`), or the
 * parameter `missing`.
 */
export const checkOperationParams = (
  kind: OperationKind,
  params: OperationParams,
): OperationParams => {
  const spec = OPERATION_KIND_SPECS[kind];
  if (!spec) throw new InvalidOptionError(`unknown operation kind ${String(kind)}`, { kind });
  const misplaced = Object.keys(params).filter((name) => !spec.params.includes(name));
  if (misplaced.length > 0)
    throw new InvalidOptionError(
      misplaced.map((name) => `property ${name} cannot be used with kind ${kind}`).join('; '),
      { kind, misplaced, takes: spec.params },
    );
  if (spec.params.includes('backup') && typeof params.backup !== 'string')
    throw new InvalidOptionError(
      `${kind} needs the backup's id: {"kind":"${kind}","backup":"<id>"}`,
      { kind, missing: 'backup' },
    );
  if (params.overwrite === true && params.confirmOverwrite !== true)
    throw new InvalidOptionError(
      'overwrite replaces live keys: it needs its own confirmation, "confirmOverwrite": true',
      { kind, missing: 'confirmOverwrite' },
    );
  return params;
};
