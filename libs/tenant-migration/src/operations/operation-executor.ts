import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { errorMessage } from '../common/error-message.js';
import { OperationStoppedError } from '../errors/index.js';
import { MigrationService } from '../migration/migration.service.js';
import { BackupService } from '../backup/backup.service.js';
import { IntegrityService } from '../integrity/integrity.service.js';
import { ReportService } from '../integrity/report.service.js';
import { SyncService } from '../integrity/sync.service.js';
import { CleanupService } from '../integrity/cleanup.service.js';
import { MigrationTests } from '../self-test/migration-tests.service.js';
import {
  OPERATION_KIND_SPECS,
  type OperationContext,
  type OperationServices,
} from './operation-kinds.js';
import { operationErrorOf, STOPPED_STATUS } from './operation-error.js';
import { OperationQueue } from './operation-queue.js';
import { OperationsRepository, type OperationOutcome } from './operations.repository.js';
import { OPERATION_KINDS, type Operation, type OperationProgress } from './operation.types.js';
import type { StopReason } from '../common/stop-signal.js';

/**
 * Runs operations in this process: claims a queued one (exactly one worker wins the claim),
 * beats while it runs (recording its latest progress, and reading the control requests other
 * processes leave in its status), and records its outcome in the same transaction that
 * completes its job in the queue.
 */
@Injectable()
export class OperationExecutor {
  private readonly logger = new Logger('OperationExecutor');
  /** This process, as operations name their worker. */
  readonly worker = `${hostname()}:${process.pid}`;
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  private readonly services: OperationServices;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly operations: OperationsRepository,
    private readonly queue: OperationQueue,
    private readonly sessions: PostgresSessionFactory,
    migrations: MigrationService,
    backups: BackupService,
    integrity: IntegrityService,
    reports: ReportService,
    syncs: SyncService,
    cleanups: CleanupService,
    selfTests: MigrationTests,
  ) {
    this.services = { migrations, backups, integrity, reports, syncs, cleanups, selfTests };
  }

  /** Asks the operation, when it runs here, to stop at its next batch boundary. */
  stopHere(operationId: string, reason: StopReason): void {
    this.running.get(operationId)?.controller.abort(reason);
  }

  /** Stops every operation running here (shutdown) and waits for their outcomes. */
  async stopAll(): Promise<void> {
    const executions = [...this.running.values()];
    for (const { controller } of executions) controller.abort('shutdown');
    await Promise.all(executions.map(({ done }) => done));
  }

  /**
   * Lets go of what the operation's last execution kept for a resume (see
   * OperationKindSpec.discard): it was cancelled while paused or interrupted.
   */
  async discardCheckpoint(operation: Operation): Promise<void> {
    const discard = OPERATION_KIND_SPECS[operation.kind].discard;
    const checkpoint = discard ? await this.operations.checkpoint(operation.id) : null;
    if (discard && checkpoint) await discard(this.services, checkpoint);
  }

  /**
   * Lets go of what stopped executions kept that no operation's checkpoint names any more (see
   * OperationKindSpec.discardOrphans); returns what was removed, by kind.
   */
  async discardOrphans(): Promise<string[]> {
    const removed: string[] = [];
    for (const kind of OPERATION_KINDS) {
      const discard = OPERATION_KIND_SPECS[kind].discardOrphans;
      if (!discard) continue;
      const kept = await this.operations.checkpointsOf(kind);
      for (const name of await discard(this.services, kept)) removed.push(`${kind}: ${name}`);
    }
    return removed;
  }

  /** Runs the operation if it is still queued (it may have been cancelled, or claimed elsewhere). */
  async execute(operationId: string, jobId: string | null): Promise<void> {
    const claim = await this.operations.transition(operationId, ['queued'], 'running', {
      worker: this.worker,
    });
    const operation = 'operation' in claim ? claim.operation : null;
    if (!operation) return;
    const controller = new AbortController();
    const done = this.run(operation, controller, jobId);
    this.running.set(operation.id, { controller, done });
    try {
      await done;
    } finally {
      this.running.delete(operation.id);
    }
  }

  private async run(
    operation: Operation,
    controller: AbortController,
    jobId: string | null,
  ): Promise<void> {
    const spec = OPERATION_KIND_SPECS[operation.kind];
    let latest: OperationProgress | null = null;
    let unsent = false;
    const beat = async () => {
      const progress = unsent ? latest : null;
      unsent = false;
      const status = await this.operations.beat(operation.id, progress).catch((error: unknown) => {
        this.logger.warn(`operation ${operation.id}: heartbeat failed: ${errorMessage(error)}`);
        return null;
      });
      if (status === 'cancelling') controller.abort('cancel');
      if (status === 'pausing') controller.abort('pause');
    };
    const timer = setInterval(() => void beat(), this.options.operations.heartbeatMs);
    const context: Omit<OperationContext, 'checkpoint'> = {
      operationId: operation.id,
      actor: operation.actor ?? 'operations',
      signal: controller.signal,
      runId: operation.runId,
      report: (progress) => {
        latest = progress;
        unsent = true;
      },
      attachRun: (runId, resumed) => {
        this.operations.attachRun(operation.id, runId, resumed).catch((error: unknown) => {
          this.logger.warn(
            `operation ${operation.id}: run ${runId} not recorded: ${errorMessage(error)}`,
          );
        });
      },
    };
    let outcome: OperationOutcome;
    try {
      const checkpoint = await this.operations.checkpoint(operation.id);
      const result = await spec.run(this.services, operation.params, { ...context, checkpoint });
      outcome = { status: 'succeeded', result, progress: latest };
    } catch (error) {
      outcome = {
        status: error instanceof OperationStoppedError ? STOPPED_STATUS[error.reason] : 'failed',
        error: operationErrorOf(error),
        progress: latest,
        checkpoint: error instanceof OperationStoppedError ? error.checkpoint : null,
      };
      if (!(error instanceof OperationStoppedError))
        this.logger.error(
          `operation ${operation.id} (${operation.kind}) failed: ${errorMessage(error)}`,
        );
    } finally {
      clearInterval(timer);
    }
    await this.record(operation, outcome, jobId);
  }

  /** Records the outcome and completes the job in one transaction. */
  private async record(operation: Operation, outcome: OperationOutcome, jobId: string | null) {
    try {
      await this.sessions.withSession((client) =>
        this.sessions.transaction(client, async () => {
          await this.operations.finish(client, operation.id, outcome);
          if (jobId) await this.queue.complete(client, jobId);
        }),
      );
      this.logger.log(`operation ${operation.id} (${operation.kind}) ${outcome.status}`);
    } catch (error) {
      // Left active without a heartbeat: the sweep marks it interrupted.
      this.logger.error(
        `operation ${operation.id}: its outcome (${outcome.status}) could not be recorded: ${errorMessage(error)}`,
      );
    }
  }
}
