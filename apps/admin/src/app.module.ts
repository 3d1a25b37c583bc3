import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { DomainErrorFilter } from '#tenant-migration';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { BackupDiskHealthIndicator } from './backup-disk-health.indicator.js';
import { HealthController } from './health.controller.js';
import { MetricsModule } from './metrics.module.js';
import { writeBackQueueDepthProvider } from './migration-metrics.js';
import { StoreHealthIndicator } from './store-health.indicator.js';
import { StoreProbe } from './store-probe.js';

@Module({
  imports: [
    InfrastructureModule.forApp({
      mode: 'service',
      admin: { path: 'api/admin/migration', guard: AdminTokenGuard },
    }),
    TerminusModule.forRoot(),
    MetricsModule,
  ],
  controllers: [HealthController],
  providers: [
    StoreProbe,
    StoreHealthIndicator,
    BackupDiskHealthIndicator,
    writeBackQueueDepthProvider(),
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
})
export class AppModule {}
