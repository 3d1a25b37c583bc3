import type { OnApplicationBootstrap } from '@nestjs/common';
import { type CommandRunner, Option, RootCommand } from 'nest-commander';
import {
  BackupService,
  CleanupService,
  IntegrityService,
  InvalidOptionError,
  MigrationService,
  MigrationTests,
  ReportService,
  SyncService,
} from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { exitOnCommanderError } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { MigrationCommandBase, type MigrationFlags } from './migration-command.base.js';
import { takeBackup } from './backup.command.js';
import { runCheck } from './check.command.js';
import { runSync } from './sync.command.js';
import { runCleanup } from './cleanup.command.js';
import { runReport } from './report.command.js';
import { runSelfTest } from './test.command.js';

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
 * `tenant-migrate --backup [--json]` backs up the Redis tenant keyspace instead.
 * `tenant-migrate --test [--json]` runs the read-only self-test instead.
 */
@RootCommand({
  name: 'tenant-migrate',
  description: 'Migrate tenants from Redis to PostgreSQL (see the subcommands for more)',
})
export class RootMigrateCommand extends MigrationCommandBase implements OnApplicationBootstrap {
  constructor(
    migrations: MigrationService,
    out: CliOutput,
    preflight: StorePreflight,
    private readonly backups: BackupService,
    private readonly integrity: IntegrityService,
    private readonly syncs: SyncService,
    private readonly cleanups: CleanupService,
    private readonly reports: ReportService,
    private readonly selfTests: MigrationTests,
  ) {
    super(migrations, out, preflight);
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
        return this.attempt(async () => {
          throw new InvalidOptionError(
            flags.yes ? '--yes goes with --cleanup' : '--subdomain goes with --sync',
          );
        });
      }
      return this.execute('tenant-migrate', args, flags);
    }
    await this.attempt(async () => {
      assertNoArguments(args, 'tenant-migrate');
      const conflicting = [...migrationFlagsIn(flags), ...actions.slice(1)];
      if (conflicting.length > 0) {
        throw new InvalidOptionError(
          `${actions[0]} migrates nothing: it cannot be combined with ${conflicting.join(', ')}`,
        );
      }
      if (flags.sync) {
        if (!flags.subdomain) throw new InvalidOptionError('--sync needs --subdomain <name>');
        return runSync(this.syncs, this.out, this.preflight, flags.subdomain, { json: flags.json });
      }
      if (flags.subdomain !== undefined)
        throw new InvalidOptionError('--subdomain goes with --sync');
      if (flags.cleanup)
        return runCleanup(this.cleanups, this.out, this.preflight, {
          json: flags.json,
          yes: flags.yes,
        });
      if (flags.yes) throw new InvalidOptionError('--yes goes with --cleanup');
      if (flags.report)
        return runReport(this.reports, this.out, this.preflight, { json: flags.json });
      if (flags.test)
        return runSelfTest(this.selfTests, this.out, this.preflight, { json: flags.json });
      if (flags.check)
        return runCheck(this.integrity, this.out, this.preflight, { json: flags.json });
      return takeBackup(this.backups, this.out, this.preflight, { json: flags.json });
    });
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
