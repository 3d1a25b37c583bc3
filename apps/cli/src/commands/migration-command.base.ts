import { Injectable } from '@nestjs/common';
import { MigrationService, OperationStoppedError, RunInterruptedError } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, assertRunId } from '../cli-arguments.js';
import { killSwitch } from '../kill-switch.js';
import { allOf } from '../callbacks.js';
import { describeOutcome, verboseMigrationHooks } from '../verbose-migration.js';
import { MigrationOptionsCommand, type MigrationFlags } from './migration-options.base.js';
import {
  migrationExitCode,
  migrationStopReport,
  printMigration,
  printResumeNotice,
} from './migration.printer.js';

export type { MigrationFlags } from './migration-options.base.js';

/** The execution shared by `migrate`, `dry-run` and `resume` (and the root command, through `migrate`). */
@Injectable()
export abstract class MigrationCommandBase extends MigrationOptionsCommand {
  constructor(
    protected readonly migrations: MigrationService,
    out: CliOutput,
    protected readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  /** Runs the migration as this command, with its exit code and verbose start and end lines. */
  protected async execute(command: string, args: string[], flags: MigrationFlags): Promise<void> {
    await this.attempt(() => this.perform(command, args, flags));
  }

  /**
   * Runs the migration (or dry run), prints it and returns its exit code; `args` must be empty
   * unless resuming. `command` names the invocation in messages and the verbose log.
   */
  async perform(command: string, args: string[], flags: MigrationFlags): Promise<number> {
    const resumeRunId =
      command === 'resume' ? assertRunId(args[0]) : (assertNoArguments(args, command), undefined);
    const stops = this.stopOnSignals(command);
    await this.preflight.assertStores();
    let runId: string | null = null;
    const verbose = this.out.verbose.enabled
      ? verboseMigrationHooks((event) => this.out.verbose.log(event), command)
      : undefined;
    const dryRun = flags.dryRun ?? false;
    const migrate = (signal: AbortSignal) =>
      this.migrations.migrate({
        dryRun,
        signal,
        batchSize: flags.batchSize,
        conflictPolicy: flags.conflictPolicy,
        resumeRunId,
        autoResume: flags.resume ?? true,
        onStart: allOf<[string, boolean]>((id) => (runId = id), verbose?.onStart),
        onProgress: allOf(
          this.out.progress(flags.dryRun ? 'dry run' : 'migrating'),
          verbose?.onProgress,
        ),
        // The log's line comes first: a kill point at a stage still shows the stage reached.
        onStage: allOf(verbose?.onStage, killSwitch()),
      });
    const result = await stops.run(
      (signal) =>
        migrate(signal).catch((error: unknown) => {
          // A run that was recorded says which one it was and how to continue it (a stop on a
          // signal says so itself).
          if (runId === null || error instanceof OperationStoppedError) throw error;
          throw new RunInterruptedError(runId, error);
        }),
      (stopped, signal) => migrationStopReport(stopped, signal, { dryRun, runId }),
    );
    this.out.stopProgress();
    this.out.verbose.log(`${command}: ${describeOutcome(result)}`);
    if (result.resumed) printResumeNotice(this.out, result, flags);
    if (flags.json) this.out.json(result);
    else printMigration(this.out, result);
    return migrationExitCode(result);
  }
}
