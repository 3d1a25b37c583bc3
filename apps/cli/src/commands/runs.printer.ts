import type { MigrationRunEntity } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';

/** `runs`: one line per run, newest first. */
export const printRuns = (out: CliOutput, runs: MigrationRunEntity[]): void => {
  if (runs.length === 0) return out.line('No migration runs recorded.');
  for (const r of runs) {
    const c = r.counts;
    out.line(
      `${r.id}  ${r.status.padEnd(11)} ${r.startedAt.toISOString()}  scanned ${c.scanned} migrated ${c.migrated} ` +
        `unchanged ${c.unchanged} skipped ${c.skipped} rejected ${c.rejected} conflicts ${c.conflicts}` +
        (r.error ? `  error: ${r.error}` : ''),
    );
  }
};
