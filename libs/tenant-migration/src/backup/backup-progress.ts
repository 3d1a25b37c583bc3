/** How often a restore or a verification reports how far through the file it is. */
export const PROGRESS_EVERY = 1000;

/** Counts a file's entries and calls `report` every `PROGRESS_EVERY` of them. */
export const entryCounter = (report: ((entries: number) => void) | undefined): (() => void) => {
  let entries = 0;
  return () => {
    entries++;
    if (report && entries % PROGRESS_EVERY === 0) report(entries);
  };
};
