import type { BackupSummary, BackupVerifyReport } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, formatCount as n } from '../output-format.js';

/** Exit code of a verification: the file's integrity only; live drift is reported, not failed. */
export const verifyExitCode = (r: Pick<BackupVerifyReport, 'ok'>): number =>
  r.ok ? ExitCode.Clean : ExitCode.Findings;

/** The human view of a backup just taken: where, how many entries and bytes, its checksum. */
export const printBackupSummary = (out: CliOutput, b: BackupSummary): void => {
  out.line(
    `Backup ${b.id} (${b.kind}, ${b.kind === 'redis' ? `prefix ${b.scope}` : `table ${b.scope}`})`,
  );
  out.line(`  path      ${b.path}`);
  out.line(`  entries   ${n(b.entryCount)}`);
  out.line(
    `  bytes     ${n(b.totalBytes)}${b.totalBytes >= 1024 ? ` (${formatBytes(b.totalBytes)})` : ''} uncompressed`,
  );
  out.line(`  checksum  sha256:${b.checksum}`);
  if (b.durationMs !== undefined) out.line(`  duration  ${(b.durationMs / 1000).toFixed(1)}s`);
};

/** `backup list`: one line per recorded backup, newest first. */
export const printBackupList = (out: CliOutput, backups: BackupSummary[]): void => {
  if (backups.length === 0) return out.line('No backups recorded.');
  for (const b of backups) {
    const verified = b.verifiedAt ? `verified ${b.verifiedAt.toISOString()}` : 'never verified';
    out.line(
      `${b.id}  ${b.kind.padEnd(8)} ${b.createdAt.toISOString()}  ${n(b.entryCount).padStart(9)} entries ${formatBytes(b.totalBytes).padStart(10)}  ${verified}  ${b.path}`,
    );
  }
};

/** `backup verify`: the file's verdict and problems, then the live comparison if asked for. */
export const printVerifyReport = (out: CliOutput, r: BackupVerifyReport): void => {
  const what = r.header ? `${r.header.kind} backup ${r.header.id}` : 'backup';
  out.line(
    r.ok
      ? `OK: ${what}, ${n(r.entries)} entries, sha256:${r.checksum}`
      : `FAILED: ${what} at ${r.path}`,
  );
  for (const problem of r.problems) out.line(`  problem: ${problem}`);
  if (!r.live) return;
  const l = r.live;
  out.line(
    `Live Redis against the backup: unchanged ${n(l.unchanged)}, changed ${n(l.changed)}, missing ${n(l.missing)}, extra ${n(l.extra)}`,
  );
  for (const s of l.samples) out.line(`  ${s.state.padEnd(8)} ${s.key}`);
};
