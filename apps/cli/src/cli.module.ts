import { Module } from '@nestjs/common';
import { InfrastructureModule } from '../../shared/infrastructure.module.js';
import { COMMANDS } from './commands/index.js';
import { CliOutput } from './cli-output.service.js';
import { StorePreflight } from './store-preflight.service.js';
import { TestCommand } from './commands/test.command.js';

@Module({
  imports: [InfrastructureModule.forApp({ mode: 'command' })],
  providers: [...COMMANDS, TestCommand, CliOutput, StorePreflight],
})
export class CliModule {}
