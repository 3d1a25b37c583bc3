import { Command, Option, SubCommand } from 'nest-commander';
import { BackupService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseLimit } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { ExitCode } from '../exit-codes.js';
import { doneBeforeStop } from '../stop-signals.js';
import { CliCommand } from './cli-command.base.js';
import {
  printBackupList,
  printBackupSummary,
  printVerifyReport,
  verifyExitCode,
} from './backup.printer.js';

export interface BackupFlags {
  outPath?: string;
  postgres?: boolean;
  json?: boolean;
}

/** `backup verify <id|path> [--live] [--json]` */
@SubCommand({
  name: 'verify',
  arguments: '<backup>',
  argsDescription: { backup: 'a backup id (see `backup list`) or the path of a backup file' },
  description:
    're-read a backup file and check its header, trailer, entry count and checksum; exit 1 if the file is damaged. ' +
    '--live also compares it with Redis now and reports missing, extra and changed keys (drift is reported, not an exit code)',
})
export class BackupVerifyCommand extends CliCommand {
  constructor(
    private readonly backups: BackupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run([ref, ...rest]: string[], flags: { live?: boolean; json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'backup verify');
      await this.preflight.assertStores({ redis: flags.live ?? false });
      const report = await this.backups.verify(ref, {
        live: flags.live ?? false,
        actor: cliActor(),
        onProgress: this.out.count('verifying backup', 'entries'),
      });
      this.out.stopProgress();
      if (flags.json) this.out.json(report);
      else printVerifyReport(this.out, report);
      return verifyExitCode(report);
    });
  }

  @Option({
    flags: '--live',
    description: 'also compare a Redis backup with the keys in Redis now',
  })
  parseLive(): boolean {
    return true;
  }
}

/** `backup list [--limit n] [--json]` */
@SubCommand({ name: 'list', description: 'list the newest recorded backups' })
export class BackupListCommand extends CliCommand {
  constructor(
    private readonly backups: BackupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: { limit?: number; json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'backup list');
      await this.preflight.assertStores({ redis: false });
      const backups = await this.backups.list(flags.limit ?? 20);
      if (flags.json) this.out.json(backups);
      else printBackupList(this.out, backups);
      return ExitCode.Clean;
    });
  }

  @Option({ flags: '--limit <n>', description: 'how many backups (1-1000, default 20)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}

/** `backup [--out <path>] [--postgres] [--json]`, with `verify` and `list` below it. */
@Command({
  name: 'backup',
  description:
    'back up the Redis tenant keyspace (every type, exact bytes, TTLs) or, with --postgres, the tenants table',
  subCommands: [BackupVerifyCommand, BackupListCommand],
})
export class BackupCommand extends CliCommand {
  constructor(
    private readonly backups: BackupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: BackupFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'backup');
      return this.perform(flags);
    });
  }

  /**
   * Takes a backup, prints it and returns the exit code: `backup` and the root command's
   * `--backup` both run this. The backup is recorded in PostgreSQL, so PostgreSQL is needed
   * either way.
   */
  async perform(flags: BackupFlags): Promise<number> {
    // A Redis backup stops at its next batch on SIGINT or SIGTERM; a PostgreSQL one is one COPY.
    const stops = flags.postgres ? null : this.stopOnSignals('backup');
    await this.preflight.assertStores({ redis: !flags.postgres });
    const request = { outPath: flags.outPath, actor: cliActor() };
    const summary = stops
      ? await stops.run(
          (signal) =>
            this.backups.backupRedis({
              ...request,
              signal,
              onProgress: this.out.count('backing up', 'keys'),
            }),
          (stopped, signal) => ({
            message:
              `backup stopped on ${signal}${doneBeforeStop(stopped, 'entries', 'writing', 'entries')}; ` +
              'its partial file was removed and no backup was recorded',
          }),
        )
      : await this.backups.backupPostgres(request);
    this.out.stopProgress();
    this.out.verbose.log(
      `backup: ${summary.kind} backup ${summary.id} of ${summary.scope}: ${summary.entryCount} entries, ${summary.totalBytes} bytes, written to ${summary.path}`,
    );
    if (flags.json) this.out.json(summary);
    else printBackupSummary(this.out, summary);
    return ExitCode.Clean;
  }

  @Option({
    flags: '--out <path>',
    name: 'outPath',
    description:
      'write the backup here (must end in .gz; default BACKUP_DIR/<kind>-<time>-<id>.ndjson.gz)',
  })
  parseOut(value: string): string {
    return value;
  }

  @Option({
    flags: '--postgres',
    description: 'back up the PostgreSQL tenants table instead of Redis',
  })
  parsePostgres(): boolean {
    return true;
  }
}
