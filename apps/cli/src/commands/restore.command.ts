import { Command, Option } from 'nest-commander';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../../shared/environment.js';
import { BackupService, InvalidOptionError } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseRedisUrl } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { ExitCode } from '../exit-codes.js';
import { CliCommand } from './cli-command.base.js';
import { printPostgresRestore, printRedisRestore, restoreExitCode } from './restore.printer.js';

const BACKUP_ARGUMENT = { backup: 'a backup id (see `backup list`) or the path of a backup file' };

interface RestoreFlags {
  dryRun?: boolean;
  targetUrl?: string;
  overwrite?: boolean;
  json?: boolean;
}

/** `restore <id|path> [--dry-run] [--target-url <url>] [--overwrite] [--json]` */
@Command({
  name: 'restore',
  arguments: '<backup>',
  argsDescription: BACKUP_ARGUMENT,
  description:
    'restore a Redis backup (values, types, TTLs); the whole file is verified first and a damaged one is refused (exit 2). ' +
    'Existing keys with another value are left alone and reported (exit 1) unless --overwrite',
})
export class RestoreCommand extends CliCommand {
  constructor(
    private readonly backups: BackupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {
    super(out);
  }

  async run([ref, ...rest]: string[], flags: RestoreFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'restore');
      const targetUrl = flags.targetUrl ?? this.config.get('RESTORE_TARGET_URL', { infer: true });
      await this.preflight.assertStores({ redis: !targetUrl });
      if (targetUrl) await this.preflight.assertRedisAt(targetUrl);
      const report = await this.backups.restoreRedis(ref, {
        dryRun: flags.dryRun ?? false,
        targetUrl,
        overwrite: flags.overwrite ?? false,
        actor: cliActor(),
        // The whole file is verified first, then restored: a count for each pass.
        onVerifyProgress: this.out.count('verifying backup', 'entries'),
        onProgress: this.out.count(flags.dryRun ? 'restore dry run' : 'restoring', 'entries'),
      });
      this.out.stopProgress();
      this.out.verbose.log(
        `restore: backup ${report.backupId} into ${report.target}: ${report.entries} entries, restored ${report.restored}, unchanged ${report.unchanged}, ` +
          `conflicts ${report.conflicts}, overwritten ${report.overwritten}, expired ${report.expired}`,
      );
      if (flags.json) this.out.json(report);
      else printRedisRestore(this.out, report);
      return restoreExitCode(report);
    });
  }

  @Option({
    flags: '--dry-run',
    description: 'count what would be restored, overwritten or left alone; write nothing',
  })
  parseDryRun(): boolean {
    return true;
  }

  @Option({
    flags: '--target-url <url>',
    description:
      'restore into this Redis (redis:// or rediss://) instead of the configured one; RESTORE_TARGET_URL sets it from the ' +
      'environment, which keeps a password out of the process list',
  })
  parseTargetUrl(value: string): string {
    return parseRedisUrl(value, '--target-url');
  }

  @Option({ flags: '--overwrite', description: 'replace existing keys that hold another value' })
  parseOverwrite(): boolean {
    return true;
  }
}

/** `restore-postgres <id|path> [--dry-run] [--yes] [--json]` */
@Command({
  name: 'restore-postgres',
  arguments: '<backup>',
  argsDescription: BACKUP_ARGUMENT,
  description:
    'replace every row of the tenants table with a PostgreSQL backup, in one transaction, after verifying the whole file; needs --yes',
})
export class RestorePostgresCommand extends CliCommand {
  constructor(
    private readonly backups: BackupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(
    [ref, ...rest]: string[],
    flags: { dryRun?: boolean; yes?: boolean; json?: boolean },
  ): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'restore-postgres');
      if (!flags.yes && !flags.dryRun) {
        throw new InvalidOptionError(
          'this replaces every row of tenants; pass --yes (or preview with --dry-run)',
        );
      }
      await this.preflight.assertStores({ redis: false });
      const report = await this.backups.restorePostgres(ref, {
        dryRun: flags.dryRun ?? false,
        actor: cliActor(),
      });
      if (flags.json) this.out.json(report);
      else printPostgresRestore(this.out, report);
      return ExitCode.Clean;
    });
  }

  @Option({ flags: '--dry-run', description: 'verify the file and count the rows; write nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--yes', description: 'confirm: the current rows of tenants are discarded' })
  parseYes(): boolean {
    return true;
  }
}
