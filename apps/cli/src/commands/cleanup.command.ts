import { Command, Option } from 'nest-commander';
import { CleanupService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { doneBeforeStop } from '../stop-signals.js';
import { formatCount } from '../output-format.js';
import { CliCommand } from './cli-command.base.js';
import { printCleanup } from './cleanup.printer.js';

export interface CleanupFlags {
  yes?: boolean;
  json?: boolean;
}

/** `cleanup [--yes] [--json]` */
@Command({
  name: 'cleanup',
  description:
    'delete migrated tenant keys from Redis, only those in the newest verified backup with their current value and equal ' +
    'in PostgreSQL right now (compare-and-delete). Shows what it would delete unless --yes',
})
export class CleanupCommand extends CliCommand {
  constructor(
    private readonly cleanups: CleanupService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: CleanupFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'cleanup');
      return this.perform(flags);
    });
  }

  /**
   * Runs cleanup (a preview unless `yes`), prints it and returns the exit code: `cleanup` and
   * the root command's `--cleanup` both run this.
   */
  async perform(flags: CleanupFlags): Promise<number> {
    // SIGINT or SIGTERM stops it before its next batch: what it deleted is deleted and recorded.
    const stops = this.stopOnSignals('cleanup');
    await this.preflight.assertStores();
    const result = await stops.run(
      (signal) =>
        this.cleanups.cleanup({
          dryRun: !flags.yes,
          actor: cliActor(),
          signal,
          // The backup's file is verified again first, then its keys are examined.
          onVerifyProgress: this.out.count('verifying backup', 'entries'),
          onProgress: this.out.count(flags.yes ? 'cleaning up' : 'cleanup preview', 'keys'),
        }),
      (stopped, signal) => ({
        message:
          `cleanup stopped on ${signal}${doneBeforeStop(stopped, 'examined', 'examining', 'keys')}; ` +
          (flags.yes
            ? `${formatCount(Number(stopped.context.deleted ?? 0))} deleted (and recorded); run it again for the rest`
            : 'it changed nothing'),
        members: {
          examined: stopped.context.examined,
          deleted: stopped.context.deleted,
          kept: stopped.context.kept,
        },
      }),
    );
    this.out.stopProgress();
    this.out.verbose.log(
      `cleanup: backup ${result.backupId}: examined ${result.examined}, ${result.dryRun ? 'would delete' : 'deleted'} ${result.deleted}, kept ${result.kept}, already gone ${result.alreadyGone}`,
    );
    if (flags.json) this.out.json(result);
    else printCleanup(this.out, result);
    return ExitCode.Clean;
  }

  @Option({
    flags: '--yes',
    description: 'delete; without it cleanup only shows what it would delete',
  })
  parseYes(): boolean {
    return true;
  }
}
