import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MIGRATION_OBSERVER } from '#tenant-migration';
import { MetricsController } from './metrics.controller.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MIGRATION_METRIC_PROVIDERS } from './migration-metrics.js';
import { PrometheusMigrationObserver } from './prometheus-migration.observer.js';

/**
 * `GET /metrics` (prom-client's default process metrics and the migration's), and the
 * library's `MIGRATION_OBSERVER` that moves them. Global, so the library's module, which
 * injects the observer where it is optional, sees it. The gauges read from the stores when
 * scraped (the write-back queue's depth, the operations') are provided by the app module,
 * where the library's services are visible.
 */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      controller: MetricsController,
      path: 'metrics',
      defaultMetrics: { enabled: true },
    }),
  ],
  providers: [
    MetricsTokenGuard,
    ...MIGRATION_METRIC_PROVIDERS,
    PrometheusMigrationObserver,
    { provide: MIGRATION_OBSERVER, useExisting: PrometheusMigrationObserver },
  ],
  exports: [MIGRATION_OBSERVER],
})
export class MetricsModule {}
