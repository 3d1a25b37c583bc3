import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { DomainErrorFilter } from '#tenant-migration';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { validateEnvironment } from '../../shared/environment.js';
import { adminRateLimitFrom } from './admin-rate-limit.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { BackupDiskHealthIndicator } from './backup-disk-health.indicator.js';
import { HealthController } from './health.controller.js';
import { MetricsModule } from './metrics.module.js';
import { operationMetricProviders, writeBackQueueDepthProvider } from './migration-metrics.js';
import { StoreHealthIndicator } from './store-health.indicator.js';
import { StoreProbe } from './store-probe.js';

@Module({
  imports: [
    InfrastructureModule.forApp({
      mode: 'service',
      admin: {
        path: 'api/admin/migration',
        guard: AdminTokenGuard,
        // main.ts validated the environment before it loaded this module.
        syncTimeoutMs: validateEnvironment(process.env).ADMIN_SYNC_TIMEOUT_MS,
      },
    }),
    TerminusModule.forRoot(),
    ThrottlerModule.forRootAsync({ inject: [ConfigService], useFactory: adminRateLimitFrom }),
    MetricsModule,
  ],
  controllers: [HealthController],
  providers: [
    StoreProbe,
    StoreHealthIndicator,
    BackupDiskHealthIndicator,
    writeBackQueueDepthProvider(),
    ...operationMetricProviders(),
    { provide: APP_FILTER, useClass: DomainErrorFilter },
    // Global guards run before a controller's, so the rate limit comes before the admin token
    // guard (an unauthenticated flood is refused too) and before any store is asked. The
    // health routes skip it (@SkipThrottle): a probe is never refused.
    { provide: APP_GUARD, useClass: ThrottlerGuard },
  ],
})
export class AppModule {}
