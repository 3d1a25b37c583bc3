import { Module } from '@nestjs/common';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';

/** A worker: the library with its operations worker running, and nothing served. */
@Module({ imports: [InfrastructureModule.forApp({ mode: 'worker' })] })
export class WorkerModule {}
