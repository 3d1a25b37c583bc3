import type { OnApplicationBootstrap } from '@nestjs/common';
import { type CommandRunner, Option, RootCommand } from 'nest-commander';
import { InvalidOptionError } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { exitOnCommanderError } from '../exit-codes.js';
import { assertNoArguments } from '../cli-arguments.js';
import { MigrationOptionsCommand, type MigrationFlags } from './migration-options.base.js';
import { MigrateCommand } from './migrate.command.js';
import { BackupCommand } from './backup.command.js';
import { CheckCommand } from './check.command.js';
import { SyncCommand } from './sync.command.js';
import { CleanupCommand } from './cleanup.command.js';
import { ReportCommand } from './report.command.js';
import { TestCommand } from './test.command.js';

type RootFlags = MigrationFlags & {
  backup?: boolean;
  check?: boolean;
  sync?: boolean;
  subdomain?: string;
  cleanup?: boolean;
  yes?: boolean;
  report?: boolean;
  test?: boolean;
};
type CommanderCommand = Parameters<CommandRunner['setCommand']>[0];

/** The migration flags `--backup` cannot be combined with (a backup never migrates). */
const migrationFlagsIn = (flags: RootFlags): string[] => [
  ...(flags.dryRun ? ['--dry-run'] : []),
  ...(flags.resume === false ? ['--no-resume'] : []),
  ...(flags.batchSize !== undefined ? ['--batch-size'] : []),
  ...(flags.conflictPolicy !== undefined ? ['--conflict-policy'] : []),
];

/**
 * `tenant-migrate [--dry-run] [--json]`: the spec's form; with no subcommand it migrates.
 * `tenant-migrate --backup [--json]` backs up the Redis tenant keyspace instead, and the other
 * original flags (`--check`, `--sync --subdomain <name>`, `--cleanup [--yes]`, `--report`,
 * `--test`) likewise: each runs its subcommand's own code. This command only checks that the
 * flags go together and chooses which.
 */
@RootCommand({
  name: 'tenant-migrate',
  description: 'Migrate tenants from Redis to PostgreSQL (see the subcommands for more)',
})
export class RootMigrateCommand extends MigrationOptionsCommand implements OnApplicationBootstrap {
  constructor(
    out: CliOutput,
    private readonly migrate: MigrateCommand,
    private readonly backup: BackupCommand,
    private readonly check: CheckCommand,
    private readonly sync: SyncCommand,
    private readonly cleanup: CleanupCommand,
    private readonly report: ReportCommand,
    private readonly selfTest: TestCommand,
  ) {
    super(out);
  }

  /**
   * nest-commander gives the error handler (exit 2 on a usage error) to the root command only;
   * a subcommand's usage error (`restore` without its argument) would exit 1, the code of
   * findings. Every command is built by now: hand the handler down the whole tree.
   */
  onApplicationBootstrap(): void {
    const cover = (command: CommanderCommand): void => {
      for (const sub of command.commands) {
        sub.exitOverride(exitOnCommanderError);
        cover(sub);
      }
    };
    cover(this.command);
  }

  async run(args: string[], flags: RootFlags): Promise<void> {
    await this.attempt(() => this.dispatch(args, flags));
  }

  /** Runs what the flags ask for: the migration, or the one original flag given instead. */
  private dispatch(args: string[], flags: RootFlags): Promise<number> {
    const actions = [
      flags.backup && '--backup',
      flags.check && '--check',
      flags.sync && '--sync',
      flags.cleanup && '--cleanup',
      flags.report && '--report',
      flags.test && '--test',
    ].filter((a): a is string => Boolean(a));
    if (actions.length === 0) {
      if (flags.subdomain !== undefined || flags.yes) {
        throw new InvalidOptionError(
          flags.yes ? '--yes goes with --cleanup' : '--subdomain goes with --sync',
        );
      }
      return this.migrate.perform('tenant-migrate', args, flags);
    }
    assertNoArguments(args, 'tenant-migrate');
    const conflicting = [...migrationFlagsIn(flags), ...actions.slice(1)];
    if (conflicting.length > 0) {
      throw new InvalidOptionError(
        `${actions[0]} migrates nothing: it cannot be combined with ${conflicting.join(', ')}`,
      );
    }
    const json = { json: flags.json };
    if (flags.sync) {
      if (!flags.subdomain) throw new InvalidOptionError('--sync needs --subdomain <name>');
      return this.sync.syncOne(flags.subdomain, json);
    }
    if (flags.subdomain !== undefined) throw new InvalidOptionError('--subdomain goes with --sync');
    if (flags.cleanup) return this.cleanup.perform({ ...json, yes: flags.yes });
    if (flags.yes) throw new InvalidOptionError('--yes goes with --cleanup');
    if (flags.report) return this.report.perform(json);
    if (flags.test) return this.selfTest.perform(json);
    if (flags.check) return this.check.perform(json);
    return this.backup.perform(json);
  }

  @Option({
    flags: '--test',
    description: 'run the read-only self-test instead of migrating (see `test`)',
  })
  parseTest(): boolean {
    return true;
  }

  @Option({
    flags: '--report',
    description: 'write the report instead of migrating (see `report`)',
  })
  parseReport(): boolean {
    return true;
  }

  @Option({
    flags: '--cleanup',
    description:
      'delete migrated Redis keys that are provably safe to delete (preview unless --yes; see `cleanup`)',
  })
  parseCleanup(): boolean {
    return true;
  }

  @Option({ flags: '--yes', description: 'with --cleanup: delete, not only preview' })
  parseYes(): boolean {
    return true;
  }

  @Option({
    flags: '--sync',
    description: 'reconcile one tenant instead of migrating (with --subdomain; see `sync`)',
  })
  parseSync(): boolean {
    return true;
  }

  @Option({ flags: '--subdomain <name>', description: 'the tenant --sync reconciles' })
  parseSubdomain(value: string): string {
    return value;
  }

  @Option({
    flags: '--check',
    description: 'compare Redis with PostgreSQL instead of migrating (see `check` for more)',
  })
  parseCheck(): boolean {
    return true;
  }

  @Option({
    flags: '--backup',
    description: 'back up the Redis tenant keyspace instead of migrating (see `backup` for more)',
  })
  parseBackup(): boolean {
    return true;
  }
}
