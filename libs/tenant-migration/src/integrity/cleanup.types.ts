/** What a cleanup is asked and what it answers. */

/** Why cleanup kept a key. Only keys proven safe are deleted; everything else is one of these. */
export type CleanupKeepReason =
  | 'not-in-backup'
  | 'changed-since-backup'
  | 'not-a-string'
  | 'invalid-record'
  | 'not-in-postgres'
  | 'drifted'
  | 'changed-during-cleanup';

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
}

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
