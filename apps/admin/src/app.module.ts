import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { MigrationController } from './migration.controller.js';
import { DomainErrorFilter } from './domain-error.filter.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [InfrastructureModule.forApp({ mode: 'service' })],
  controllers: [MigrationController, HealthController],
  providers: [AdminTokenGuard, { provide: APP_FILTER, useClass: DomainErrorFilter }],
})
export class AppModule {}
