import type { MigrationResult, OperationStoppedError } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import type { StopReport } from '../stop-signals.js';
import type { StopSignal } from '../stopped-by-signal.error.js';
import { ExitCode } from '../exit-codes.js';
import { byReason, formatCount as n } from '../output-format.js';

/**
 * Exit code of a migration: 3 when its counts do not add up (the run cannot prove that every key
 * is in exactly one bucket), 1 with rejected or conflicting keys, 0 otherwise.
 */
export const migrationExitCode = ({
  counts: c,
  balanced,
}: Pick<MigrationResult, 'counts' | 'balanced'>): number => {
  if (!balanced) return ExitCode.CouldNotRun;
  return c.rejected > 0 || c.conflicts > 0 ? ExitCode.Findings : ExitCode.Clean;
};

/**
 * What a migration stopped by a signal left: its run, interrupted at its last checkpoint, and the
 * command that continues it; a dry run wrote nothing; a stop before the run began changed nothing.
 */
export const migrationStopReport = (
  stopped: OperationStoppedError,
  signal: StopSignal,
  { dryRun, runId: started }: { dryRun: boolean; runId: string | null },
): StopReport => {
  const context = stopped.context as { runId?: string | null; counts?: { scanned?: number } };
  const runId = context.runId ?? started;
  const scanned = context.counts?.scanned;
  const after = scanned === undefined ? '' : ` after ${n(scanned)} keys`;
  if (dryRun)
    return {
      message: `the dry run stopped on ${signal}${after}; it wrote nothing`,
      members: { runId: null },
    };
  if (runId === null)
    return {
      message: `stopped on ${signal} before the migration began; nothing was migrated`,
      members: { runId: null },
    };
  return {
    message:
      `run ${runId} stopped on ${signal}${after}; it is interrupted: \`migrate\` (or \`resume ${runId}\`) ` +
      'continues it from its last checkpoint',
    members: { runId },
  };
};

/** A resumed run keeps its own options; say so when this invocation asked for others. */
export const printResumeNotice = (
  out: Pick<CliOutput, 'err'>,
  result: MigrationResult,
  asked: { batchSize?: number; conflictPolicy?: string },
): void => {
  const { batchSize, conflictPolicy } = result.options;
  if (
    (asked.batchSize ?? batchSize) === batchSize &&
    (asked.conflictPolicy ?? conflictPolicy) === conflictPolicy
  )
    return;
  out.err(
    `tenant-migrate: resumed run ${result.runId} kept its own options (batch size ${batchSize}, conflict policy ` +
      `${conflictPolicy}); use --no-resume to start a new run with yours`,
  );
};

/** The human view of a migration or dry run: title, counts table, the accounting line, samples. */
export const printMigration = (out: CliOutput, result: MigrationResult): void => {
  const c = result.counts;
  const title = result.dryRun
    ? 'Dry run (nothing was written)'
    : `Migration run ${result.runId}${result.resumed ? ' (resumed)' : ''}`;
  out.line(`${title}: ${(result.durationMs / 1000).toFixed(1)}s, ${n(result.rate)} keys/s`);
  const verb = result.dryRun ? 'would migrate' : 'migrated';
  out.row('scanned', c.scanned);
  out.row(verb, c.migrated, `(created ${n(c.created)}, updated ${n(c.updated)})`);
  out.row('unchanged', c.unchanged);
  out.row('skipped', c.skipped, byReason(c.skippedByReason));
  out.row('rejected', c.rejected, byReason(c.rejectedByReason));
  out.row('conflicts', c.conflicts);
  if (c.normalized > 0) out.row('normalized', c.normalized, byReason(c.normalizedByNote));
  if (c.repeated > 0)
    out.row('repeated', c.repeated, '(listed again by SCAN: passed over, each key counted once)');
  out.line(
    result.balanced
      ? 'Counts add up: scanned = migrated + unchanged + skipped + rejected.'
      : 'ERROR: counts do not add up: scanned != migrated + unchanged + skipped + rejected; the run cannot show that every key is accounted for.',
  );
  out.samples(result.samples);
};
