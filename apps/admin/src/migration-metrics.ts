import type { Provider } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import {
  OPERATION_KINDS,
  OPERATION_STATUSES,
  OperationsService,
  PostgresSessionFactory,
  RedisWriteBackQueue,
} from '#tenant-migration';

/** The names of the metrics the admin app serves on `GET /metrics`, besides prom-client's defaults. */
export const METRIC_NAMES = {
  keys: 'tenant_migrate_keys_total',
  batchDuration: 'tenant_migrate_batch_duration_seconds',
  resolverLookups: 'tenant_migrate_resolver_lookups_total',
  writeBackQueueDepth: 'tenant_migrate_write_back_queue_depth',
  operations: 'tenant_migrate_operations',
  operationProgressRatio: 'tenant_migrate_operation_progress_ratio',
  operationProgressDone: 'tenant_migrate_operation_progress_done',
} as const;

/** The migration's metrics, which `PrometheusMigrationObserver` moves. */
export const MIGRATION_METRIC_PROVIDERS: Provider[] = [
  makeCounterProvider({
    name: METRIC_NAMES.keys,
    help: 'Keys of migration runs (dry_run="true": of dry runs) by outcome (created, updated, unchanged, skipped, rejected) and, for skipped and rejected keys, first reason code; counted per committed batch',
    labelNames: ['outcome', 'reason', 'dry_run'],
  }),
  makeHistogramProvider({
    name: METRIC_NAMES.batchDuration,
    help: 'Time of one migration batch, from reading it to its commit',
    labelNames: ['dry_run'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  makeCounterProvider({
    name: METRIC_NAMES.resolverLookups,
    help: 'Tenant resolver lookups by where the tenant was found: cache, postgres, redis (redis-first mode), redis-fallback, or miss',
    labelNames: ['result'],
  }),
];

/**
 * The write-back queue's depth, read from PostgreSQL when scraped (a store that is down fails
 * the scrape with a 503 `store-unavailable`). Provided where the library's services are visible.
 */
export const writeBackQueueDepthProvider = (): Provider =>
  makeGaugeProvider({
    name: METRIC_NAMES.writeBackQueueDepth,
    help: 'Tenants waiting in the Redis write-back queue for `sync --pending`',
    inject: [PostgresSessionFactory, RedisWriteBackQueue],
    async collect(this: Gauge, sessions: PostgresSessionFactory, queue: RedisWriteBackQueue) {
      this.set(await sessions.withSession((client) => queue.count(client)));
    },
  });

/**
 * The operations table, read when scraped (like the write-back queue's depth): how many
 * operations there are of each kind and status, and how far each running one is. Every kind
 * and status is a series, 0 when none, so "none failed" and "nothing running" read as 0 rather
 * than as a missing series. A progress series lasts as long as its operation runs (running,
 * pausing or cancelling): each scrape answers the operations running then, whichever process
 * runs them.
 */
export const operationMetricProviders = (): Provider[] => [
  makeGaugeProvider({
    name: METRIC_NAMES.operations,
    help: 'Operations by kind and status, as the operations table holds them',
    labelNames: ['kind', 'status'],
    inject: [OperationsService],
    async collect(this: Gauge<'kind' | 'status'>, operations: OperationsService) {
      const counts = await operations.counts();
      // Set after the query, all at once: a scrape never sees another's half-made series.
      this.reset();
      for (const kind of OPERATION_KINDS)
        for (const status of OPERATION_STATUSES) this.set({ kind, status }, 0);
      for (const { kind, status, count } of counts) this.set({ kind, status }, count);
    },
  }),
  makeGaugeProvider({
    name: METRIC_NAMES.operationProgressRatio,
    help: 'Of each running operation whose total is known (a migration estimates it): done / total of its latest progress, at most 1',
    labelNames: ['id', 'kind'],
    inject: [OperationsService],
    async collect(this: Gauge<'id' | 'kind'>, operations: OperationsService) {
      const executing = await operations.executing();
      this.reset();
      for (const { id, kind, progress } of executing)
        if (progress?.total) this.set({ id, kind }, Math.min(1, progress.done / progress.total));
    },
  }),
  makeGaugeProvider({
    name: METRIC_NAMES.operationProgressDone,
    help: 'Items each running operation has done, from its latest progress (0 before its first)',
    labelNames: ['id', 'kind'],
    inject: [OperationsService],
    async collect(this: Gauge<'id' | 'kind'>, operations: OperationsService) {
      const executing = await operations.executing();
      this.reset();
      for (const { id, kind, progress } of executing) this.set({ id, kind }, progress?.done ?? 0);
    },
  }),
];
