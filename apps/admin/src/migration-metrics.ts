import type { Provider } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { PostgresSessionFactory, RedisWriteBackQueue } from '#tenant-migration';

/** The names of the metrics the admin app serves on `GET /metrics`, besides prom-client's defaults. */
export const METRIC_NAMES = {
  keys: 'tenant_migrate_keys_total',
  batchDuration: 'tenant_migrate_batch_duration_seconds',
  resolverLookups: 'tenant_migrate_resolver_lookups_total',
  writeBackQueueDepth: 'tenant_migrate_write_back_queue_depth',
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
