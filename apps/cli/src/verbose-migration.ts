/**
 * The verbose log of a migration (migrate, dry-run, resume, the root command): one line per
 * batch with its keys, its decisions and where its time went, and one per stage of the run
 * (recorded, scan finished, closed). Fed by the engine's own hooks; per batch, never per key.
 */
import type {
  MigrationBatchReport,
  MigrationProgress,
  MigrationRequest,
  MigrationResult,
} from '#tenant-migration';
import type { MigrationStage } from '#tenant-migration';

/** One batch: its number, its keys, what became of them, and its time reading and writing. */
export const describeBatch = (
  b: MigrationBatchReport,
  p: Pick<MigrationProgress, 'dryRun' | 'counts' | 'elapsedMs'>,
): string =>
  `batch ${b.number}: ${b.scanned} keys: ${p.dryRun ? 'would migrate' : 'migrated'} ${b.migrated}, unchanged ${b.unchanged}, ` +
  `skipped ${b.skipped}, rejected ${b.rejected} (conflicts ${b.conflicts}); read ${b.readMs} ms, ${p.dryRun ? 'decided' : 'written'} ${b.writeMs} ms; ` +
  `scanned ${p.counts.scanned} in all after ${p.elapsedMs} ms`;

/** The stages worth a line; the batch stages are told by the batch's own line. */
const STAGE_EVENTS: Partial<Record<MigrationStage, (batch: number) => string>> = {
  'run-recorded': (batch) =>
    batch === 0
      ? 'run recorded, starting at batch 1'
      : `run recorded, resuming after batch ${batch}`,
  'scan-finished': (batch) => `scan finished after batch ${batch}`,
  'run-finished': () => 'run closed as completed',
};

/** The engine hooks that log a run, each event prefixed with the command's name. */
export const verboseMigrationHooks = (
  log: (event: string) => void,
  command: string,
): Required<Pick<MigrationRequest, 'onStart' | 'onStage' | 'onProgress'>> => ({
  onStart: (runId, resumed) => log(`${command}: run ${runId} ${resumed ? 'resumed' : 'started'}`),
  onStage: (stage, batch) => {
    const event = STAGE_EVENTS[stage];
    if (event) log(`${command}: ${event(batch)}`);
  },
  onProgress: (p) => {
    if (p.batch) log(`${command}: ${describeBatch(p.batch, p)}`);
  },
});

/** The run's end: its totals, whether they add up, its speed, and the options it used. */
export const describeOutcome = (r: MigrationResult): string => {
  const c = r.counts;
  const { prefix, batchSize, conflictPolicy } = r.options;
  return (
    `${r.dryRun ? 'dry run' : `run ${r.runId}`} done: scanned ${c.scanned}, ${r.dryRun ? 'would migrate' : 'migrated'} ${c.migrated}, ` +
    `unchanged ${c.unchanged}, skipped ${c.skipped}, rejected ${c.rejected}, conflicts ${c.conflicts}; counts ${r.balanced ? 'add up' : 'DO NOT add up'}; ` +
    `${r.durationMs} ms, ${r.rate} keys/s; options used: prefix ${JSON.stringify(prefix)}, batch size ${batchSize}, conflict policy ${conflictPolicy}`
  );
};
