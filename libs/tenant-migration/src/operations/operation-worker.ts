import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { errorMessage } from '../common/error-message.js';
import { OperationExecutor } from './operation-executor.js';
import { OperationQueue } from './operation-queue.js';
import { OperationsService } from './operations.service.js';
import type { ScheduleKind } from './operation.types.js';

/** How often a sweeping process looks for what stopped executions kept and no checkpoint names. */
const ORPHAN_SWEEP_MS = 60_000;

/** The actor of the operations a schedule starts. */
export const SCHEDULE_ACTOR = 'schedule';

/**
 * What this process does for operations, by `operations.mode`: a `worker` takes queued ones
 * from the queue and runs them; a `worker` or an `enqueue` process also sweeps for operations
 * whose worker stopped beating (marked `interrupted`, within `staleMs` + `heartbeatMs`), and
 * at start-up makes the queue's schedules the configured `operations.schedules`. Once a minute
 * the sweep also removes what stopped executions kept (a suspended check's tables) that no
 * checkpoint has named for an hour. A `worker`
 * turns each tick of a schedule into an ordinary operation (actor `schedule`), which any
 * worker then runs, lists, follows and cancels like the others. On
 * shutdown the operations running here stop at their next batch boundary as `interrupted`,
 * to be resumed, before the connections close.
 */
@Injectable()
export class OperationWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OperationWorker');
  private sweeper: NodeJS.Timeout | null = null;
  /** When the sweep last looked for what stopped executions kept and no checkpoint names. */
  private orphansSweptAt = 0;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly queue: OperationQueue,
    private readonly executor: OperationExecutor,
    private readonly operations: OperationsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { mode, heartbeatMs } = this.options.operations;
    if (mode === 'client') return;
    this.sweeper = setInterval(() => void this.sweep(), heartbeatMs);
    this.sweeper.unref();
    await this.applySchedules();
    if (mode !== 'worker') return;
    await this.queue.work((job) => this.executor.execute(job.data.operationId, job.id));
    await this.queue.workSchedules((kind) => this.tick(kind));
    this.logger.log(`running operations as ${this.executor.worker}`);
  }

  private async applySchedules(): Promise<void> {
    for (const name of await this.queue.applySchedules())
      this.logger.log(`schedule of ${name} removed: it is no longer configured`);
    for (const { kind, cron, tz } of this.options.operations.schedules)
      this.logger.log(`${kind} scheduled at "${cron}" (${tz ?? 'UTC'})`);
  }

  /** One tick of a schedule: a new operation of its kind, queued for any worker. */
  private async tick(kind: ScheduleKind): Promise<void> {
    try {
      const operation = await this.operations.start({ kind, params: {}, actor: SCHEDULE_ACTOR });
      this.logger.log(`schedule ${kind}: operation ${operation.id} queued`);
    } catch (error) {
      // The tick's job fails with it and is not retried: the next tick starts the next one.
      this.logger.warn(`schedule ${kind}: no operation started: ${errorMessage(error)}`);
      throw error;
    }
  }

  private async sweep(): Promise<void> {
    try {
      for (const id of await this.operations.interruptStale())
        this.logger.warn(`operation ${id}: its worker stopped beating; it is interrupted`);
    } catch (error) {
      this.logger.warn(`sweep for stale operations failed: ${errorMessage(error)}`);
    }
    if (Date.now() - this.orphansSweptAt < ORPHAN_SWEEP_MS) return;
    this.orphansSweptAt = Date.now();
    try {
      for (const removed of await this.executor.discardOrphans())
        this.logger.warn(
          `removed what a stopped operation kept, named by no checkpoint (${removed})`,
        );
    } catch (error) {
      this.logger.warn(`sweep for orphaned checkpoints failed: ${errorMessage(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.executor.stopAll();
    await this.queue.stop();
  }
}
