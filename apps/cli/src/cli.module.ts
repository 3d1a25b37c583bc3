import { Module } from '@nestjs/common';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { COMMANDS } from './commands/index.js';
import { CliOutput } from './cli-output.service.js';
import { OperationFollower } from './operation-follower.service.js';
import { StorePreflight } from './store-preflight.service.js';
import { VerboseLog } from './verbose-log.service.js';
import { RedisRelease } from './redis-release.js';

@Module({
  imports: [InfrastructureModule.forApp({ mode: 'command' })],
  providers: [...COMMANDS, CliOutput, OperationFollower, StorePreflight, VerboseLog, RedisRelease],
})
export class CliModule {}
