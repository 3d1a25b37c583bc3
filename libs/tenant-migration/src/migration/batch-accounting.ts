import type { Candidate, PreparedBatch } from './keyspace-classifier.js';
import type { MergeDecision } from './outcome.js';
import type { ExceptionRow } from './tenant-merge.types.js';
import type { MigrationBatchCounts } from './migration-request.types.js';
import { emptyCounts, type MigrationCounts } from './migration.types.js';

const bump = (table: Record<string, number>, code: string): void => {
  table[code] = (table[code] ?? 0) + 1;
};

/** Counts an accepted value that was normalised on the way, by each of its notes. */
export const noteNormalized = (counts: MigrationCounts, c: Candidate): void => {
  if (c.notes.length === 0) return;
  counts.normalized++;
  for (const note of c.notes) bump(counts.normalizedByNote, note.code);
};

/** Counts quarantined keys: skipped by their first reason, rejected by every reason. */
export const countExceptions = (
  counts: MigrationCounts,
  exceptions: readonly ExceptionRow[],
): void => {
  for (const e of exceptions) {
    if (e.bucket === 'skipped') {
      counts.skipped++;
      bump(counts.skippedByReason, e.reasons[0]?.code ?? 'unknown');
    } else {
      counts.rejected++;
      for (const reason of e.reasons) bump(counts.rejectedByReason, reason.code);
    }
  }
};

/**
 * The accounting of one classified batch, given each candidate's merge decision: its counts
 * (every key in exactly one bucket) and its exceptions (the classifier's plus the candidates
 * skipped or rejected by the decision). Pure: a real run, a dry run and the self-test's
 * sample all count with it.
 */
export const accountBatch = (
  batch: PreparedBatch,
  decide: (c: Candidate) => MergeDecision,
): { counts: MigrationCounts; exceptions: ExceptionRow[] } => {
  const counts = emptyCounts();
  counts.scanned = batch.scanned;
  const exceptions = [...batch.exceptions];
  for (const c of batch.candidates) {
    noteNormalized(counts, c);
    const decision = decide(c);
    switch (decision.action) {
      case 'create':
      case 'update':
        counts.migrated++;
        if (decision.action === 'create') counts.created++;
        else counts.updated++;
        break;
      case 'unchanged':
        counts.unchanged++;
        break;
      case 'skip':
        if (decision.conflict) counts.conflicts++;
        exceptions.push({ key: c.key, bucket: 'skipped', reasons: [decision.reason] });
        break;
      case 'reject':
        exceptions.push({ key: c.key, bucket: 'rejected', reasons: [decision.reason] });
        break;
    }
  }
  countExceptions(counts, exceptions);
  return { counts, exceptions };
};

/** What a batch added to the run's counts: the counts after it less those before it. */
export const countsSince = (
  before: MigrationCounts,
  after: MigrationCounts,
): MigrationBatchCounts => ({
  scanned: after.scanned - before.scanned,
  migrated: after.migrated - before.migrated,
  unchanged: after.unchanged - before.unchanged,
  skipped: after.skipped - before.skipped,
  rejected: after.rejected - before.rejected,
  conflicts: after.conflicts - before.conflicts,
});
