import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { errorMessage } from '../common/error-message.js';
import { StoreUnavailableError } from '../errors/index.js';

/**
 * The job queue's queue of one operations table: each job names an operation of that table, so
 * two hosts with tables of their own in one database never take each other's jobs.
 */
export const operationsQueueOf = (operationsTable: string): string =>
  `tenant-migrate-${operationsTable.replace('.', '-')}`;

/** What a job carries. */
export interface OperationJob {
  operationId: string;
}

/**
 * Connections the queue keeps in its own pool: apart from the library's, so polling, sending
 * and completing jobs never wait behind a migration's sessions (and never take them).
 */
const QUEUE_POOL_SIZE = 3;

/** pg-boss's `Db` over one client: a job completed inside the caller's transaction. */
const clientDb = (client: PoolClient): PgBoss.Db => ({
  executeSql: async (text: string, values: unknown[]) => {
    const result = await client.query(text, values);
    return { rows: result.rows as unknown[] as Record<string, unknown>[] };
  },
});

/**
 * The durable job queue, on pg-boss in the library's PostgreSQL database (schema
 * `operations.queueSchema`), with a small pool of its own. Started on first use; a worker
 * process subscribes with `work`.
 */
@Injectable()
export class OperationQueue implements OnApplicationShutdown {
  private readonly logger = new Logger('OperationQueue');
  private starting: Promise<PgBoss> | null = null;
  private readonly workers: string[] = [];
  private readonly name: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
  ) {
    this.name = operationsQueueOf(options.tables.operations);
  }

  /** The started queue (pg-boss creates or upgrades its schema the first time). */
  private boss(): Promise<PgBoss> {
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = null;
      throw new StoreUnavailableError(
        `the job queue cannot start: ${errorMessage(error)}`,
        {},
        { cause: error },
      );
    });
    return this.starting;
  }

  private async start(): Promise<PgBoss> {
    const connection = this.dataSource.options as PostgresDataSourceOptions;
    const worker = this.options.operations.mode !== 'client';
    const boss = new PgBoss({
      connectionString: connection.url,
      host: connection.host,
      port: connection.port,
      user: connection.username,
      password: typeof connection.password === 'string' ? connection.password : undefined,
      database: connection.database,
      ssl: connection.ssl,
      schema: this.options.operations.queueSchema,
      max: QUEUE_POOL_SIZE,
      application_name: 'tenant-migrate-queue',
      // Maintenance (expiring jobs, archiving) where jobs run; a client only sends.
      supervise: worker,
      schedule: false,
    });
    // Without a listener an error event would end the process; the queue retries by itself.
    boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
    await boss.start();
    await boss.createQueue(this.name, {
      name: this.name,
      policy: 'standard',
      // An operation is never run again by the queue: an execution that ends without an
      // outcome is the operation's `interrupted`, and its resume sends a new job.
      retryLimit: 0,
      expireInHours: 23,
    });
    return boss;
  }

  /** Queues a job for the operation; answers the job's id. */
  async send(operationId: string): Promise<string> {
    const boss = await this.boss();
    const id = await boss.send(this.name, { operationId } satisfies OperationJob, {
      retryLimit: 0,
    });
    if (!id) throw new StoreUnavailableError('the job queue did not take the job', { operationId });
    // A worker of this process fetches it now rather than at its next poll.
    for (const worker of this.workers) boss.notifyWorker(worker);
    return id;
  }

  /** Runs `handle` for each job, `concurrency` at a time, in this process. */
  async work(handle: (job: PgBoss.Job<OperationJob>) => Promise<void>): Promise<void> {
    const boss = await this.boss();
    for (let i = 0; i < this.options.operations.concurrency; i++) {
      this.workers.push(
        await boss.work<OperationJob>(
          this.name,
          { batchSize: 1, pollingIntervalSeconds: 1 },
          async ([job]) => handle(job),
        ),
      );
    }
  }

  /** Completes the job in the caller's transaction: it commits with the operation's outcome. */
  async complete(client: PoolClient, jobId: string): Promise<void> {
    const boss = await this.boss();
    await boss.complete(this.name, jobId, {}, { db: clientDb(client) });
  }

  /** Stops taking jobs (the running ones were stopped by their worker first). */
  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = null;
    this.workers.length = 0;
    if (!starting) return;
    const boss = await starting.catch(() => null);
    await boss?.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
