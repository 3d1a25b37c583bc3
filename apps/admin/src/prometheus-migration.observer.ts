import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { type Counter, type Histogram, register } from 'prom-client';
import type {
  MigrationBatchObservation,
  MigrationObserver,
  ResolverLookupResult,
} from '#tenant-migration';
import { METRIC_NAMES } from './migration-metrics.js';

type KeyLabels = 'outcome' | 'reason' | 'dry_run';

/** The library's observer as Prometheus metrics (see `MIGRATION_METRIC_PROVIDERS`). */
@Injectable()
export class PrometheusMigrationObserver implements MigrationObserver, OnModuleDestroy {
  constructor(
    @InjectMetric(METRIC_NAMES.keys) private readonly keys: Counter<KeyLabels>,
    @InjectMetric(METRIC_NAMES.batchDuration) private readonly batches: Histogram<'dry_run'>,
    @InjectMetric(METRIC_NAMES.resolverLookups) private readonly lookups: Counter<'result'>,
  ) {}

  onBatch(batch: MigrationBatchObservation): void {
    const dry_run = String(batch.dryRun);
    const add = (outcome: string, reason: string, count: number): void => {
      if (count > 0) this.keys.inc({ outcome, reason, dry_run }, count);
    };
    add('created', '', batch.created);
    add('updated', '', batch.updated);
    add('unchanged', '', batch.unchanged);
    for (const [reason, count] of Object.entries(batch.skippedByReason))
      add('skipped', reason, count);
    for (const [reason, count] of Object.entries(batch.rejectedByReason))
      add('rejected', reason, count);
    this.batches.observe({ dry_run }, (batch.readMs + batch.writeMs) / 1000);
  }

  onResolverLookup(result: ResolverLookupResult): void {
    this.lookups.inc({ result });
  }

  /**
   * The metric providers reuse a metric of the same name in prom-client's process-wide
   * registry; dropped with the app (every name of METRIC_NAMES, the gauges read when scraped
   * included), the next app of the process (a test's) gets its own, counting from zero and
   * reading its own write-back queue and operations table.
   */
  onModuleDestroy(): void {
    for (const name of Object.values(METRIC_NAMES)) register.removeSingleMetric(name);
  }
}
