import { Injectable } from '@nestjs/common';
import { Option } from 'nest-commander';
import {
  InvalidOptionError,
  MigrationService,
  RunInterruptedError,
  type ConflictPolicy,
} from '#tenant-migration';
import { CliOutput, migrationExitCode } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, assertRunId } from '../cli-arguments.js';
import { killSwitch } from '../kill-switch.js';
import { allOf } from '../callbacks.js';
import { describeOutcome, verboseMigrationHooks } from '../verbose-migration.js';
import { CliCommand } from './cli-command.base.js';

export interface MigrationFlags {
  dryRun?: boolean;
  json?: boolean;
  batchSize?: number;
  conflictPolicy?: ConflictPolicy;
  resume?: boolean;
}

const POLICIES: readonly ConflictPolicy[] = ['keep-postgres', 'overwrite', 'skip'];

/** Flags and execution shared by the root command, `migrate`, `dry-run` and `resume`. */
@Injectable()
export abstract class MigrationCommandBase extends CliCommand {
  constructor(
    protected readonly migrations: MigrationService,
    out: CliOutput,
    protected readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  /** Runs the migration (or dry run) and prints it; `args` must be empty unless resuming. */
  protected async execute(command: string, args: string[], flags: MigrationFlags): Promise<void> {
    await this.attempt(async () => {
      const resumeRunId =
        command === 'resume' ? assertRunId(args[0]) : (assertNoArguments(args, command), undefined);
      await this.preflight.assertStores();
      let runId: string | null = null;
      const verbose = this.out.verbose.enabled
        ? verboseMigrationHooks((event) => this.out.verbose.log(event), command)
        : undefined;
      const result = await this.migrations
        .migrate({
          dryRun: flags.dryRun ?? false,
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
        })
        .catch((error: unknown) => {
          // A run that was recorded says which one it was and how to continue it.
          throw runId === null ? error : new RunInterruptedError(runId, error);
        });
      this.out.stopProgress();
      this.out.verbose.log(`${command}: ${describeOutcome(result)}`);
      if (result.resumed) this.out.resumeNotice(result, flags);
      if (flags.json) this.out.json(result);
      else this.out.migrationSummary(result);
      return migrationExitCode(result);
    });
  }

  @Option({ flags: '--dry-run', description: 'preview: count what would change and write nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({
    flags: '--no-resume',
    description: 'start a new run even if an interrupted one exists',
  })
  parseNoResume(): boolean {
    return false;
  }

  @Option({
    flags: '--batch-size <n>',
    description: 'keys per batch and transaction (1-50000; default MIGRATION_BATCH_SIZE)',
  })
  parseBatchSize(value: string): number {
    if (!/^\d+$/.test(value))
      throw new InvalidOptionError(`--batch-size must be a whole number, got "${value}"`);
    return Number(value);
  }

  @Option({
    flags: '--conflict-policy <policy>',
    description: 'keep-postgres (default), overwrite or skip',
  })
  parseConflictPolicy(value: string): ConflictPolicy {
    if (!POLICIES.includes(value as ConflictPolicy)) {
      throw new InvalidOptionError(
        `--conflict-policy must be one of ${POLICIES.join(', ')}, got "${value}"`,
      );
    }
    return value as ConflictPolicy;
  }
}
