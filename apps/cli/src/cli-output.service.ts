import { Injectable } from '@nestjs/common';
import { SingleBar, Presets } from 'cli-progress';
import type {
  CleanupResult,
  MigrationStats,
  IntegrityReport,
  TenantDrift,
  BackupSummary,
  BackupVerifyReport,
  ExceptionSample,
  MigrationCounts,
  MigrationProgress,
  MigrationResult,
  PostgresRestoreReport,
  RedisRestoreReport,
  ValidationReport,
} from '#tenant-migration';
import { describeFailure, ExitCode } from './exit-codes.js';
import { terminalSafeJson, terminalText } from './terminal-text.js';
import { VerboseLog } from './verbose-log.service.js';

const n = (value: number): string => value.toLocaleString('en-US');
const byReason = (table: Record<string, number>): string =>
  Object.entries(table)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code} ${n(count)}`)
    .join(', ');

/**
 * Everything the CLI prints. Human output and progress go to stderr/stdout as usual; with
 * `--json`, stdout carries exactly one JSON document and progress stays on stderr. Every human
 * line, on either stream, passes through `terminalText` (in `line` and `err`): key names, values
 * and messages quoting them come from the stores, and must not drive the operator's terminal.
 * The verbose log (`verbose`) is stderr's too.
 */
@Injectable()
export class CliOutput {
  private bar: SingleBar | null = null;
  private lastLine = 0;

  constructor(readonly verbose: VerboseLog) {}

  /**
   * A progress callback: a bar on a TTY, a log line every 5 s otherwise. Both on stderr. With
   * the verbose log there is no bar: its redraws would garble the log's lines.
   */
  progress(label: string): (p: MigrationProgress) => void {
    const tty = process.stderr.isTTY === true && !this.verbose.enabled;
    return (p) => {
      if (tty) {
        if (!this.bar) {
          this.bar = new SingleBar(
            {
              format: `${label} [{bar}] {value}/{total} keys | {rate}/s | ETA {eta_formatted} | migrated {migrated} rejected {rejected}`,
              stream: process.stderr,
              etaBuffer: 50,
            },
            Presets.shades_classic,
          );
          this.bar.start(p.estimatedTotal ?? p.counts.scanned, 0, {
            rate: '0',
            migrated: '0',
            rejected: '0',
          });
        }
        this.bar.setTotal(Math.max(p.estimatedTotal ?? 0, p.counts.scanned));
        this.bar.update(p.counts.scanned, {
          rate: n(p.rate),
          migrated: n(p.counts.migrated),
          rejected: n(p.counts.rejected),
        });
      } else if (Date.now() - this.lastLine >= 5000) {
        this.lastLine = Date.now();
        const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds}s`;
        this.err(
          `${label}: scanned ${n(p.counts.scanned)}, migrated ${n(p.counts.migrated)}, unchanged ${n(p.counts.unchanged)}, ` +
            `conflicts ${n(p.counts.conflicts)}, rejected ${n(p.counts.rejected)} (${n(p.rate)} keys/s${eta})`,
        );
      }
    };
  }

  stopProgress(): void {
    this.bar?.stop();
    this.bar = null;
  }

  /** The document, with C1, DEL and bidi/zero-width characters as `\u` escapes (same value once parsed). */
  json(document: unknown): void {
    process.stdout.write(`${terminalSafeJson(JSON.stringify(document, null, 2))}\n`);
  }

  /** One line on stdout; the text is escaped for a terminal (a newline inside it is shown as `\x0a`). */
  line(text = ''): void {
    process.stdout.write(`${terminalText(text)}\n`);
  }

  /** One line on stderr, escaped like `line`. */
  err(text: string): void {
    process.stderr.write(`${terminalText(text)}\n`);
  }

  /** Prints the error as one line on stderr and returns the exit code for it. */
  fail(error: unknown): number {
    this.stopProgress();
    const { code, line } = describeFailure(error);
    this.err(`tenant-migrate: ${line}`);
    return code;
  }

  /** A resumed run keeps its own options; say so when this invocation asked for others. */
  resumeNotice(
    result: MigrationResult,
    asked: { batchSize?: number; conflictPolicy?: string },
  ): void {
    const { batchSize, conflictPolicy } = result.options;
    if (
      (asked.batchSize ?? batchSize) === batchSize &&
      (asked.conflictPolicy ?? conflictPolicy) === conflictPolicy
    )
      return;
    this.err(
      `tenant-migrate: resumed run ${result.runId} kept its own options (batch size ${batchSize}, conflict policy ` +
        `${conflictPolicy}); use --no-resume to start a new run with yours`,
    );
  }

  migrationSummary(result: MigrationResult): void {
    const c = result.counts;
    const title = result.dryRun
      ? 'Dry run (nothing was written)'
      : `Migration run ${result.runId}${result.resumed ? ' (resumed)' : ''}`;
    this.line(`${title}: ${(result.durationMs / 1000).toFixed(1)}s, ${n(result.rate)} keys/s`);
    const verb = result.dryRun ? 'would migrate' : 'migrated';
    this.countsTable(c, verb);
    this.row('conflicts', c.conflicts);
    if (c.normalized > 0) this.row('normalized', c.normalized, byReason(c.normalizedByNote));
    if (c.repeated > 0)
      this.row(
        'repeated',
        c.repeated,
        '(listed again by SCAN: passed over, each key counted once)',
      );
    this.line(
      result.balanced
        ? 'Counts add up: scanned = migrated + unchanged + skipped + rejected.'
        : 'ERROR: counts do not add up: scanned != migrated + unchanged + skipped + rejected; the run cannot show that every key is accounted for.',
    );
    this.samples(result.samples);
  }

  statsSummary(stats: MigrationStats): void {
    this.line(`Stats for ${stats.prefix} at ${stats.at}`);
    this.row('redis keys', stats.redisKeys);
    this.row(
      'postgres',
      stats.postgresTenants,
      `(legacy ${n(stats.bySourceFormat.legacy)}, enhanced ${n(stats.bySourceFormat.enhanced)}, app ${n(stats.bySourceFormat.app)})`,
    );
    this.row(
      'incomplete',
      stats.incompleteProfiles,
      '(profiles without business name, owner, email and phone)',
    );
    this.row('cleaned up', stats.cleanedUpFromRedis);
    this.row('write-backs pending', stats.pendingWriteBacks);
    this.line(
      `  success rate  ${stats.successRate === null ? 'n/a' : `${(stats.successRate * 100).toFixed(2)}%`} (last completed run)`,
    );
    for (const r of stats.lastRuns)
      this.line(
        `  run ${r.id} ${r.status} scanned ${n(r.counts.scanned)} migrated ${n(r.counts.migrated)} rejected ${n(r.counts.rejected)}`,
      );
    for (const b of stats.backups)
      this.line(
        `  backup ${b.id} ${b.kind} ${n(b.entryCount)} entries${b.verifiedAt ? ', verified' : ''}`,
      );
  }

  cleanupReport(result: CleanupResult): void {
    const verb = result.dryRun ? 'would delete' : 'deleted';
    this.line(
      `Cleanup${result.dryRun ? ' preview (nothing deleted; --yes deletes)' : ''}, backup ${result.backupId}: ${(result.durationMs / 1000).toFixed(1)}s`,
    );
    this.row('examined', result.examined, '(keys of the backup)');
    this.row(verb, result.deleted);
    this.row('kept', result.kept, byReason(result.keptByReason as Record<string, number>));
    this.row('already gone', result.alreadyGone);
    for (const s of result.samples.slice(0, 20))
      this.line(`  ${s.outcome === 'deleted' ? verb : `kept (${s.reason})`}: ${s.key}`);
  }

  integrityReport(report: IntegrityReport): void {
    const verdict = report.consistent ? 'Redis and PostgreSQL agree' : 'DRIFT FOUND';
    this.line(`Integrity check: ${verdict} (${(report.durationMs / 1000).toFixed(1)}s)`);
    this.row(
      'redis keys',
      report.redisKeys,
      `(valid ${n(report.valid)}, invalid ${n(report.invalid)}, skipped ${n(report.skipped)})`,
    );
    this.row(
      'postgres',
      report.postgresTenants,
      report.cleanedUp > 0
        ? `(${n(report.cleanedUp)} of them cleaned up from Redis on purpose)`
        : '',
    );
    this.row('matching', report.matching);
    this.row('only redis', report.onlyInRedis);
    this.row('only postgres', report.onlyInPostgres);
    this.row('different', report.different);
    const total = report.onlyInRedis + report.onlyInPostgres + report.different;
    if (total > 0) {
      this.line(
        report.truncated
          ? `First ${report.drift.length} of ${n(total)} differences (--limit 0 or --json for all):`
          : 'Differences:',
      );
      for (const d of report.drift) this.line(`  ${describeDrift(d)}`);
    }
    if (report.invalid > 0) {
      this.line(
        `Invalid records in Redis (a migration rejects them; not drift): ${n(report.invalid)}`,
      );
      for (const r of report.invalidRecords.slice(0, 10))
        this.line(`  ${r.key}: ${r.reasons.map((x) => x.message).join('; ')}`);
    }
  }

  validationSummary(report: ValidationReport): void {
    this.line(`Validation: ${(report.durationMs / 1000).toFixed(1)}s`);
    this.row('scanned', report.scanned);
    this.row('valid', report.valid);
    if (report.normalized > 0)
      this.row('normalized', report.normalized, byReason(report.normalizedByNote));
    this.row('skipped', report.skipped, byReason(report.skippedByReason));
    this.row('rejected', report.rejected, byReason(report.rejectedByReason));
    this.samples(report.samples);
  }

  backupSummary(b: BackupSummary): void {
    this.line(
      `Backup ${b.id} (${b.kind}, ${b.kind === 'redis' ? `prefix ${b.scope}` : `table ${b.scope}`})`,
    );
    this.line(`  path      ${b.path}`);
    this.line(`  entries   ${n(b.entryCount)}`);
    this.line(
      `  bytes     ${n(b.totalBytes)}${b.totalBytes >= 1024 ? ` (${formatBytes(b.totalBytes)})` : ''} uncompressed`,
    );
    this.line(`  checksum  sha256:${b.checksum}`);
    if (b.durationMs !== undefined) this.line(`  duration  ${(b.durationMs / 1000).toFixed(1)}s`);
  }

  backupList(backups: BackupSummary[]): void {
    if (backups.length === 0) return this.line('No backups recorded.');
    for (const b of backups) {
      const verified = b.verifiedAt ? `verified ${b.verifiedAt.toISOString()}` : 'never verified';
      this.line(
        `${b.id}  ${b.kind.padEnd(8)} ${b.createdAt.toISOString()}  ${n(b.entryCount).padStart(9)} entries ${formatBytes(b.totalBytes).padStart(10)}  ${verified}  ${b.path}`,
      );
    }
  }

  verifyReport(r: BackupVerifyReport): void {
    const what = r.header ? `${r.header.kind} backup ${r.header.id}` : 'backup';
    this.line(
      r.ok
        ? `OK: ${what}, ${n(r.entries)} entries, sha256:${r.checksum}`
        : `FAILED: ${what} at ${r.path}`,
    );
    for (const problem of r.problems) this.line(`  problem: ${problem}`);
    if (!r.live) return;
    const l = r.live;
    this.line(
      `Live Redis against the backup: unchanged ${n(l.unchanged)}, changed ${n(l.changed)}, missing ${n(l.missing)}, extra ${n(l.extra)}`,
    );
    for (const s of l.samples) this.line(`  ${s.state.padEnd(8)} ${s.key}`);
  }

  redisRestoreReport(r: RedisRestoreReport): void {
    this.line(
      `${r.dryRun ? 'Dry run (nothing was written): restore' : 'Restored'} backup ${r.backupId} into ${r.target}: ${(r.durationMs / 1000).toFixed(1)}s`,
    );
    this.row('entries', r.entries);
    this.row(r.dryRun ? 'would restore' : 'restored', r.restored);
    this.row('unchanged', r.unchanged);
    this.row(
      'conflicts',
      r.conflicts,
      r.conflicts > 0
        ? 'existing keys with another value, left alone (--overwrite replaces them)'
        : '',
    );
    this.row('overwritten', r.overwritten);
    this.row(
      'expired',
      r.expired,
      r.expired > 0 ? 'their TTL ran out since the backup; not restored' : '',
    );
    for (const s of r.samples) this.line(`  ${s.outcome.padEnd(11)} ${s.key}`);
  }

  postgresRestoreReport(r: PostgresRestoreReport): void {
    const seconds = (r.durationMs / 1000).toFixed(1);
    this.line(
      r.dryRun
        ? `Dry run (nothing was written): would replace the ${n(r.rowsReplaced)} rows of ${r.table} with the ${n(r.rowsInBackup)} rows of backup ${r.backupId}`
        : `Replaced the ${n(r.rowsReplaced)} rows of ${r.table} with the ${n(r.rowsInBackup)} rows of backup ${r.backupId}: ${seconds}s`,
    );
  }

  private countsTable(c: MigrationCounts, verb: string): void {
    this.row('scanned', c.scanned);
    this.row(verb, c.migrated, `(created ${n(c.created)}, updated ${n(c.updated)})`);
    this.row('unchanged', c.unchanged);
    this.row('skipped', c.skipped, byReason(c.skippedByReason));
    this.row('rejected', c.rejected, byReason(c.rejectedByReason));
  }

  private row(label: string, value: number, detail = ''): void {
    this.line(`  ${label.padEnd(13)} ${n(value).padStart(11)}${detail ? `  ${detail}` : ''}`);
  }

  private samples(samples: ExceptionSample[]): void {
    if (samples.length === 0) return;
    this.line(`First ${samples.length} rejected or skipped keys:`);
    for (const s of samples)
      this.line(`  ${s.bucket.padEnd(8)} ${s.key}: ${s.reasons.map((r) => r.message).join('; ')}`);
  }
}

/** A byte count for people: 512 B, 1.5 KiB, 2.0 MiB, ... */
export const formatBytes = (bytes: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
};

/** Exit code of a Redis restore: 1 when existing keys with another value were left alone. */
export const restoreExitCode = (r: Pick<RedisRestoreReport, 'conflicts'>): number =>
  r.conflicts > 0 ? ExitCode.Findings : ExitCode.Clean;

/** Exit code of a verification: the file's integrity only; live drift is reported, not failed. */
export const verifyExitCode = (r: Pick<BackupVerifyReport, 'ok'>): number =>
  r.ok ? ExitCode.Clean : ExitCode.Findings;

/** Exit code of a finished migration: 1 when keys were rejected or conflicted. */
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

const show = (value: unknown): string => (value === null ? 'null' : JSON.stringify(value));

/** One line per drift: what kind, which tenant, and for a difference every field with both values. */
const describeDrift = (d: TenantDrift): string => {
  const head = `${d.kind.padEnd(16)} ${d.subdomain}${d.key ? ` (${d.key})` : ''}`;
  if (d.kind !== 'different') return head;
  const fields = (d.fields ?? [])
    .map((f) => `${f.field}: redis ${show(f.redis)} / postgres ${show(f.postgres)}`)
    .join('; ');
  const sides = [d.changedInRedis ? 'Redis' : null, d.changedInPostgres ? 'PostgreSQL' : null]
    .filter(Boolean)
    .join(' and ');
  return `${head}: ${fields}${sides ? `  [changed in ${sides} since the last migration]` : ''}`;
};
