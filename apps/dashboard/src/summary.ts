import type {
  CleanupResult,
  IntegrityReport,
  MigrationCounts,
  Operation,
  RestoreReport,
  SelfTestReport,
  VerifyReport,
} from './api-types';
import { count } from './format';

const countsLine = (counts: MigrationCounts): string =>
  `${count(counts.scanned)} scanned: ${count(counts.migrated)} migrated, ${count(
    counts.unchanged,
  )} unchanged, ${count(counts.skipped)} skipped, ${count(counts.rejected)} rejected`;

/** What an operation ended with, in one line of words (its result, error or state). */
export const summaryOf = (operation: Operation): string => {
  if (operation.error) return operation.error.message;
  const result = operation.result;
  if (!result) {
    if (operation.status === 'paused') return 'Paused: resume continues it.';
    if (operation.status === 'cancelled') return 'Cancelled.';
    if (operation.status === 'interrupted') return 'Interrupted: its worker stopped.';
    return '';
  }
  switch (operation.kind) {
    case 'migrate':
    case 'dry-run':
      return countsLine(result.counts as MigrationCounts);
    case 'validate': {
      const r = result as { scanned: number; valid: number; rejected: number; skipped: number };
      return `${count(r.scanned)} scanned: ${count(r.valid)} valid, ${count(r.rejected)} rejected, ${count(r.skipped)} skipped`;
    }
    case 'check': {
      const r = result as unknown as IntegrityReport;
      return r.consistent
        ? `Consistent: ${count(r.matching)} matching`
        : `Drift: ${count(r.different)} different, ${count(r.onlyInRedis)} only in Redis, ${count(
            r.onlyInPostgres,
          )} only in PostgreSQL, ${count(r.invalid)} invalid`;
    }
    case 'backup':
    case 'backup-postgres': {
      const r = result as { entryCount: number; id: string };
      return `Backup ${r.id.slice(0, 8)} of ${count(r.entryCount)} entries`;
    }
    case 'backup-verify': {
      const r = result as unknown as VerifyReport;
      return r.ok
        ? `Verified: ${count(r.entries)} entries, checksum matches`
        : `Does not verify: ${r.problems.join('; ')}`;
    }
    case 'restore': {
      const r = result as unknown as RestoreReport;
      return `${r.dryRun ? 'Dry run: would restore' : 'Restored'} ${count(r.restored)} of ${count(
        r.entries,
      )} entries (${count(r.unchanged)} unchanged, ${count(r.conflicts)} conflicts, ${count(r.expired)} expired)`;
    }
    case 'restore-postgres': {
      const r = result as { dryRun: boolean; rowsInBackup: number; rowsReplaced: number };
      return `${r.dryRun ? 'Dry run: would replace' : 'Replaced'} ${count(r.rowsReplaced)} rows with ${count(r.rowsInBackup)}`;
    }
    case 'cleanup': {
      const r = result as unknown as CleanupResult;
      return `${r.dryRun ? 'Preview: would delete' : 'Deleted'} ${count(r.deleted)} of ${count(
        r.examined,
      )} keys; kept ${count(r.kept)}`;
    }
    case 'self-test': {
      const r = result as unknown as SelfTestReport;
      const failed = r.tests.filter((t) => !t.passed).length;
      return r.passed
        ? `All ${r.tests.length} tests passed`
        : `${failed} of ${r.tests.length} tests failed`;
    }
    default:
      return 'Done.';
  }
};

/**
 * Kinds whose running execution can be paused (and resumed) and cancelled: the kinds that the
 * server's kind table (operations/operation-kinds.ts, which the page cannot load) marks
 * `pausable` and `cancellable`. A control it refuses is answered 409 and shown in words.
 */
export const PAUSABLE = new Set(['migrate', 'dry-run', 'validate', 'check', 'backup', 'cleanup']);
export const CANCELLABLE = PAUSABLE;
