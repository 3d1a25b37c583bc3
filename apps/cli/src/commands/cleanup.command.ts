import { Command, Option } from 'nest-commander';
import { CleanupService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { CliCommand } from './cli-command.base.js';

export interface CleanupFlags {
  yes?: boolean;
  json?: boolean;
}

/** Runs cleanup (a preview unless `yes`) and prints it: `cleanup` and the root's `--cleanup`. */
export const runCleanup = async (
  cleanups: CleanupService,
  out: CliOutput,
  preflight: StorePreflight,
  flags: CleanupFlags,
): Promise<number> => {
  await preflight.assertStores();
  const result = await cleanups.cleanup({ dryRun: !flags.yes, actor: cliActor() });
  out.verbose.log(
    `cleanup: backup ${result.backupId}: examined ${result.examined}, ${result.dryRun ? 'would delete' : 'deleted'} ${result.deleted}, kept ${result.kept}, already gone ${result.alreadyGone}`,
  );
  if (flags.json) out.json(result);
  else out.cleanupReport(result);
  return ExitCode.Clean;
};

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
      return runCleanup(this.cleanups, this.out, this.preflight, flags);
    });
  }

  @Option({
    flags: '--yes',
    description: 'delete; without it cleanup only shows what it would delete',
  })
  parseYes(): boolean {
    return true;
  }
}
