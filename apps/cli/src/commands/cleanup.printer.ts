import type { CleanupResult } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { byReason } from '../output-format.js';

/** The human view of `cleanup`: what it examined, deleted (or would) and kept, with samples. */
export const printCleanup = (out: CliOutput, result: CleanupResult): void => {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  out.line(
    `Cleanup${result.dryRun ? ' preview (nothing deleted; --yes deletes)' : ''}, backup ${result.backupId}: ${(result.durationMs / 1000).toFixed(1)}s`,
  );
  out.row('examined', result.examined, '(keys of the backup)');
  out.row(verb, result.deleted);
  out.row('kept', result.kept, byReason(result.keptByReason));
  out.row('already gone', result.alreadyGone);
  for (const s of result.samples.slice(0, 20))
    out.line(`  ${s.outcome === 'deleted' ? verb : `kept (${s.reason})`}: ${s.key}`);
};
