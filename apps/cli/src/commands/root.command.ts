import { RootCommand } from 'nest-commander';
import { MigrationCommandBase, type MigrationFlags } from './migration-command.base.js';

/** `tenant-migrate [--dry-run] [--json]`: the spec's form; with no subcommand it migrates. */
@RootCommand({ name: 'tenant-migrate', description: 'Migrate tenants from Redis to PostgreSQL (see the subcommands for more)' })
export class RootMigrateCommand extends MigrationCommandBase {
  async run(args: string[], flags: MigrationFlags): Promise<void> {
    await this.execute('tenant-migrate', args, flags);
  }
}
