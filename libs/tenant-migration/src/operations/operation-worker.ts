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

/**
 * What this process does for operations, by `operations.mode`: a `worker` takes queued ones
 * from the queue and runs them; a `worker` or an `enqueue` process also sweeps for operations
 * whose worker stopped beating (marked `interrupted`, within `staleMs` + `heartbeatMs`). On
 * shutdown the operations running here stop at their next batch boundary as `interrupted`,
 * to be resumed, before the connections close.
 */
@Injectable()
export class OperationWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OperationWorker');
  private sweeper: NodeJS.Timeout | null = null;

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
    if (mode !== 'worker') return;
    await this.queue.work((job) => this.executor.execute(job.data.operationId, job.id));
    this.logger.log(`running operations as ${this.executor.worker}`);
  }

  private async sweep(): Promise<void> {
    try {
      for (const id of await this.operations.interruptStale())
        this.logger.warn(`operation ${id}: its worker stopped beating; it is interrupted`);
    } catch (error) {
      this.logger.warn(`sweep for stale operations failed: ${errorMessage(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.executor.stopAll();
    await this.queue.stop();
  }
}
