/** What a cleanup is asked and what it answers. */

/** Why cleanup kept a key. Only keys proven safe are deleted; everything else is one of these. */
export const CLEANUP_KEEP_REASONS = [
  'not-in-backup',
  'changed-since-backup',
  'not-a-string',
  'invalid-record',
  'not-in-postgres',
  'drifted',
  'changed-during-cleanup',
] as const;
export type CleanupKeepReason = (typeof CLEANUP_KEEP_REASONS)[number];

export interface CleanupResult {
  dryRun: boolean;
  backupId: string;
  /** Keys of the backup examined (the backup is the upper bound of what can be deleted). */
  examined: number;
  /** Deleted (or, in a dry run, that would be). */
  deleted: number;
  /** Keys of the backup already gone from Redis. */
  alreadyGone: number;
  kept: number;
  keptByReason: Partial<Record<CleanupKeepReason, number>>;
  samples: { key: string; outcome: 'deleted' | 'kept'; reason?: CleanupKeepReason }[];
  durationMs: number;
}

export interface CleanupRequest {
  /** Report what would be deleted; delete nothing. Default true: deleting is explicit. */
  dryRun?: boolean;
  actor?: string;
  /**
   * Called every `PROGRESS_EVERY` entries while the backup's file is verified again, first,
   * with its recorded entry count as the total.
   */
  onVerifyProgress?: (entries: number, total: number | null) => void;
  /**
   * Called with 0 once the backup verifies and the keys' examination begins, then after each
   * batch of the backup's keys, with the number examined so far and the backup's entry count.
   */
  onProgress?: (examined: number, total: number) => void;
  /**
   * Stops the cleanup before its next batch (OperationStoppedError, with the counts so far):
   * every batch examined before it is done and recorded. A pause or a shutdown's error carries
   * the checkpoint `resumeFrom` continues from; a cancel's carries none.
   */
  signal?: AbortSignal;
  /** Continues the cleanup a pause or a shutdown stopped (see `signal`). */
  resumeFrom?: CleanupCheckpoint;
}

/**
 * Where a stopped cleanup left off: the backup it relies on, how many of the backup's entries
 * (the file's first ones, in order) were examined, and the result of those. The last pass, over
 * the keys the backup does not hold, only counts, so a stop in it begins it again.
 */
export interface CleanupCheckpoint {
  backupId: string;
  entries: number;
  result: Omit<CleanupResult, 'durationMs'>;
}

const isKeepReason = (value: unknown): value is CleanupKeepReason =>
  (CLEANUP_KEEP_REASONS as readonly unknown[]).includes(value);

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const isSample = (value: unknown): value is CleanupResult['samples'][number] => {
  if (typeof value !== 'object' || value === null) return false;
  const { key, outcome, reason } = value as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    (outcome === 'deleted' || outcome === 'kept') &&
    (reason === undefined || isKeepReason(reason))
  );
};

/** The checkpoint an operation kept, when it is one of a stopped cleanup; null otherwise. */
export const cleanupCheckpointOf = (value: unknown): CleanupCheckpoint | null => {
  if (typeof value !== 'object' || value === null) return null;
  const { backupId, entries, result } = value as Record<string, unknown>;
  if (typeof backupId !== 'string' || !isCount(entries)) return null;
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  const byReason = r.keptByReason;
  if (
    typeof r.dryRun !== 'boolean' ||
    r.backupId !== backupId ||
    ![r.examined, r.deleted, r.alreadyGone, r.kept].every(isCount) ||
    typeof byReason !== 'object' ||
    byReason === null ||
    !Object.entries(byReason).every(([reason, count]) => isKeepReason(reason) && isCount(count)) ||
    !Array.isArray(r.samples) ||
    !r.samples.every(isSample)
  )
    return null;
  return { backupId, entries, result: result as CleanupCheckpoint['result'] };
};

/** Keys listed in a result's samples, at most. */
const SAMPLE_LIMIT = 50;

/** Counts a kept key under its reason (and lists it among the first samples). */
export const keep = (result: CleanupResult, key: string, reason: CleanupKeepReason): void => {
  result.kept++;
  result.keptByReason[reason] = (result.keptByReason[reason] ?? 0) + 1;
  if (result.samples.length < SAMPLE_LIMIT) result.samples.push({ key, outcome: 'kept', reason });
};

/** Counts a deleted key (in a dry run, one that would be). */
export const deleted = (result: CleanupResult, key: string): void => {
  result.deleted++;
  if (result.samples.length < SAMPLE_LIMIT) result.samples.push({ key, outcome: 'deleted' });
};
