import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type PgBoss from 'pg-boss';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { errorMessage } from '../common/error-message.js';
import { StoreUnavailableError } from '../errors/index.js';
import { SCHEDULE_KINDS, type ScheduleKind } from './operation.types.js';

/**
 * The job queue's queue of one operations table: each job names an operation of that table, so
 * two hosts with tables of their own in one database never take each other's jobs.
 */
export const operationsQueueOf = (operationsTable: string): string =>
  `tenant-migrate-${operationsTable.replace('.', '-')}`;

/**
 * The queue of one kind's schedule in the job queue, beside its operations table's queue:
 * pg-boss keeps one schedule per queue, by the queue's name.
 */
export const scheduleQueueOf = (operationsTable: string, kind: ScheduleKind): string =>
  `${operationsQueueOf(operationsTable)}-schedule-${kind}`;

/** How often a job is tried again after its handler failed (it failed only to claim). */
const JOB_RETRIES = { retryLimit: 5, retryDelay: 2, retryBackoff: true } as const;

/** What a job carries. */
export interface OperationJob {
  operationId: string;
}

/** What a schedule's job carries: the kind it starts (its queue's kind). */
export interface ScheduleJob {
  kind: ScheduleKind;
}

/** How often a worker looks for a schedule's tick: a tick is at most once a minute. */
const SCHEDULE_POLL_SECONDS = 2;

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
    const { mode, schedules } = this.options.operations;
    const worker = mode !== 'client';
    // Loaded when the queue is first used: a CLI command that never queues does not pay for it.
    const { default: Boss } = await import('pg-boss');
    const boss = new Boss({
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
      // pg-boss's clock, where schedules are configured. Every process running it evaluates
      // the schedules, and still a tick is sent once. A process evaluates them only after its
      // `UPDATE version SET cron_on = now()` finds cron_on older than 30 s
      // (cronMonitorIntervalSeconds; plans.trySetCronTime), and a due schedule is first sent
      // to the `__pgboss__send-it` queue with singletonKey = the schedule's name and
      // singletonSeconds = 60 (timekeeper.cron): the job's singleton_on is the minute it is sent
      // in, and the unique index on (name, singleton_on, singleton_key) of every queue's
      // partition (plans.createIndexJobThrottle), with the insert's ON CONFLICT DO NOTHING,
      // keeps one such job per schedule a minute. A schedule is due for the 60 s after a tick
      // of its five-field expression, which is that tick's minute, so every clock that sees
      // the tick sends it in the same minute: one job, moved once to the schedule's queue
      // (unless a process dies between moving it and completing it), taken by one worker
      // (SKIP LOCKED), never retried (retryLimit 0): one operation a tick.
      schedule: worker && schedules.length > 0,
    });
    // Without a listener an error event would end the process; the queue retries by itself.
    boss.on('error', (error: Error) => this.logger.warn(`job queue: ${error.message}`));
    await boss.start();
    await boss.createQueue(this.name, {
      name: this.name,
      policy: 'standard',
      // A job whose claim failed (PostgreSQL away at that moment) is tried again. A retry never
      // runs an operation twice: only a queued operation can be claimed, and an execution that
      // ends without an outcome is the operation's `interrupted`, which its resume queues anew.
      ...JOB_RETRIES,
      expireInHours: 23,
    });
    if (worker)
      for (const { kind } of schedules)
        await boss.createQueue(scheduleQueueOf(this.options.tables.operations, kind), {
          name: scheduleQueueOf(this.options.tables.operations, kind),
          policy: 'standard',
          // A tick whose operation could not be started is not tried again (its failure is
          // logged): a late retry would start an operation the schedule did not ask for.
          retryLimit: 0,
          expireInMinutes: 15,
        });
    return boss;
  }

  /**
   * Makes the queue's schedules of this operations table the configured ones: each configured
   * schedule is written (pg-boss replaces a schedule of the same queue), and one of this
   * table's schedule queues that is no longer configured loses its schedule. Answers the
   * names of the queues whose schedule was removed. Other tables' schedules are left alone.
   */
  async applySchedules(): Promise<string[]> {
    const boss = await this.boss();
    const table = this.options.tables.operations;
    const configured = new Set<string>();
    for (const { kind, cron, tz } of this.options.operations.schedules) {
      const name = scheduleQueueOf(table, kind);
      configured.add(name);
      await boss.schedule(name, cron, { kind } satisfies ScheduleJob, { tz });
    }
    const ours = new Set(SCHEDULE_KINDS.map((kind) => scheduleQueueOf(table, kind)));
    const removed = (await boss.getSchedules())
      .map(({ name }) => name)
      .filter((name) => ours.has(name) && !configured.has(name));
    for (const name of removed) await boss.unschedule(name);
    return removed;
  }

  /** Runs `handle` for each tick of the configured schedules, one at a time per schedule. */
  async workSchedules(handle: (kind: ScheduleKind) => Promise<void>): Promise<void> {
    const boss = await this.boss();
    for (const { kind } of this.options.operations.schedules)
      await boss.work<ScheduleJob>(
        scheduleQueueOf(this.options.tables.operations, kind),
        { batchSize: 1, pollingIntervalSeconds: SCHEDULE_POLL_SECONDS },
        // The queue names the kind; the job's data (written by whoever scheduled it) does not
        // choose what runs.
        async () => handle(kind),
      );
  }

  /** Queues a job for the operation; answers the job's id. */
  async send(operationId: string): Promise<string> {
    const boss = await this.boss();
    const id = await boss.send(this.name, { operationId } satisfies OperationJob, JOB_RETRIES);
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
