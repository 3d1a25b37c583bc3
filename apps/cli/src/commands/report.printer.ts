import type { MigrationStats, WrittenReport } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { formatCount as n } from '../output-format.js';

/** `report`: where the two files were written and the integrity verdict. */
export const printWrittenReport = (out: CliOutput, written: WrittenReport): void => {
  out.line(`Report written: ${written.markdownPath}`);
  out.line(`               ${written.jsonPath}`);
  out.line(
    written.report.integrity.consistent
      ? 'Redis and PostgreSQL agree.'
      : 'Drift found: see the report.',
  );
};

/** `stats`: the counts at a glance, the newest runs and backups. */
export const printStats = (out: CliOutput, stats: MigrationStats): void => {
  out.line(`Stats for ${stats.prefix} at ${stats.at}`);
  out.row('redis keys', stats.redisKeys);
  out.row(
    'postgres',
    stats.postgresTenants,
    `(legacy ${n(stats.bySourceFormat.legacy)}, enhanced ${n(stats.bySourceFormat.enhanced)}, app ${n(stats.bySourceFormat.app)})`,
  );
  out.row(
    'incomplete',
    stats.incompleteProfiles,
    '(profiles without business name, owner, email and phone)',
  );
  out.row('cleaned up', stats.cleanedUpFromRedis);
  out.row('write-backs pending', stats.pendingWriteBacks);
  out.line(
    `  success rate  ${stats.successRate === null ? 'n/a' : `${(stats.successRate * 100).toFixed(2)}%`} (last completed run)`,
  );
  for (const r of stats.lastRuns)
    out.line(
      `  run ${r.id} ${r.status} scanned ${n(r.counts.scanned)} migrated ${n(r.counts.migrated)} rejected ${n(r.counts.rejected)}`,
    );
  for (const b of stats.backups)
    out.line(
      `  backup ${b.id} ${b.kind} ${n(b.entryCount)} entries${b.verifiedAt ? ', verified' : ''}`,
    );
};
