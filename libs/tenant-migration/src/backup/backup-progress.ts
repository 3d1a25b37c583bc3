/** How often a restore or a verification reports how far through the file it is. */
export const PROGRESS_EVERY = 1000;

/**
 * What a pass through a backup file reports: the entries read so far and, when known, how many
 * the file holds (its record's count; null for a file no backup record names).
 */
export type EntryProgress = (entries: number, total: number | null) => void;

/** Counts a file's entries and calls `report` every `PROGRESS_EVERY` of them, with `total`. */
export const entryCounter = <Total extends number | null>(
  report: ((entries: number, total: Total) => void) | undefined,
  total: Total,
): (() => void) => {
  let entries = 0;
  return () => {
    entries++;
    if (report && entries % PROGRESS_EVERY === 0) report(entries, total);
  };
};
