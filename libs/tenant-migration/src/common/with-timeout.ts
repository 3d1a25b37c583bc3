/**
 * The work's result, or a rejection `"<what>: no answer within <s>s"` once `ms` have
 * passed. A late failure of the work is ignored (it has no one left to report to); the timer
 * is cleared as soon as either settles.
 */
export const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};
