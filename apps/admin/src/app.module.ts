import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DomainErrorFilter } from '#tenant-migration';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { HealthController } from './health.controller.js';
import { StoreProbe } from './store-probe.js';

@Module({
  imports: [
    InfrastructureModule.forApp({
      mode: 'service',
      admin: { path: 'api/admin/migration', guard: AdminTokenGuard },
    }),
  ],
  controllers: [HealthController],
  providers: [StoreProbe, { provide: APP_FILTER, useClass: DomainErrorFilter }],
})
export class AppModule {}
