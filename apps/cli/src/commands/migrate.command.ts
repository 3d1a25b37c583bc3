import { Command } from 'nest-commander';
import { InvalidOptionError } from '#tenant-migration';
import { MigrationCommandBase, type MigrationFlags } from './migration-command.base.js';

@Command({
  name: 'migrate',
  description: 'migrate every tenant (resumes an interrupted run unless --no-resume)',
})
export class MigrateCommand extends MigrationCommandBase {
  async run(args: string[], flags: MigrationFlags): Promise<void> {
    await this.execute('migrate', args, flags);
  }
}

@Command({
  name: 'dry-run',
  description: 'preview a migration in a read-only transaction; writes nothing',
})
export class DryRunCommand extends MigrationCommandBase {
  async run(args: string[], flags: MigrationFlags): Promise<void> {
    await this.execute('dry-run', args, { ...flags, dryRun: true });
  }
}

@Command({
  name: 'resume',
  arguments: '<runId>',
  description: 'resume an interrupted migration run from its last checkpoint',
})
export class ResumeCommand extends MigrationCommandBase {
  async run(args: string[], flags: MigrationFlags): Promise<void> {
    if (flags.dryRun) {
      process.exitCode = this.out.fail(
        new InvalidOptionError('resume cannot be a dry run: use dry-run to preview'),
        { json: flags.json },
      );
      return;
    }
    await this.execute('resume', args, flags);
  }
}
