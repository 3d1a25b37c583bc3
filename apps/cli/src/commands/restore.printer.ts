import type { PostgresRestoreReport, RedisRestoreReport } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { formatCount as n } from '../output-format.js';

/** Exit code of a Redis restore: 1 when existing keys with another value were left alone. */
export const restoreExitCode = (r: Pick<RedisRestoreReport, 'conflicts'>): number =>
  r.conflicts > 0 ? ExitCode.Findings : ExitCode.Clean;

/** The human view of `restore`: what was (or would be) restored, left alone or had expired. */
export const printRedisRestore = (out: CliOutput, r: RedisRestoreReport): void => {
  out.line(
    `${r.dryRun ? 'Dry run (nothing was written): restore' : 'Restored'} backup ${r.backupId} into ${r.target}: ${(r.durationMs / 1000).toFixed(1)}s`,
  );
  out.row('entries', r.entries);
  out.row(r.dryRun ? 'would restore' : 'restored', r.restored);
  out.row('unchanged', r.unchanged);
  out.row(
    'conflicts',
    r.conflicts,
    r.conflicts > 0
      ? 'existing keys with another value, left alone (--overwrite replaces them)'
      : '',
  );
  out.row('overwritten', r.overwritten);
  out.row(
    'expired',
    r.expired,
    r.expired > 0 ? 'their TTL ran out since the backup; not restored' : '',
  );
  for (const s of r.samples) out.line(`  ${s.outcome.padEnd(11)} ${s.key}`);
};

/** The human view of `restore-postgres`: one line, the rows replaced and the rows restored. */
export const printPostgresRestore = (out: CliOutput, r: PostgresRestoreReport): void => {
  const seconds = (r.durationMs / 1000).toFixed(1);
  out.line(
    r.dryRun
      ? `Dry run (nothing was written): would replace the ${n(r.rowsReplaced)} rows of ${r.table} with the ${n(r.rowsInBackup)} rows of backup ${r.backupId}`
      : `Replaced the ${n(r.rowsReplaced)} rows of ${r.table} with the ${n(r.rowsInBackup)} rows of backup ${r.backupId}: ${seconds}s`,
  );
};
