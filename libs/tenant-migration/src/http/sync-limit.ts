import { OperationStoppedError, SyncTimeoutError } from '../errors/index.js';

/** The default limit of a synchronous form that can stop midway (see `syncTimeoutMs`). */
export const DEFAULT_SYNC_TIMEOUT_MS = 120_000;

/**
 * Runs `work` with a signal aborted (as a cancel) after `ms`: the work stops at its next batch
 * boundary and the request answers 503 `sync-timeout`, pointing to the operation that runs the
 * same work in the background.
 */
export const withinLimit = async <T>(
  ms: number,
  kind: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort('cancel'), ms);
  try {
    return await work(limit.signal);
  } catch (error) {
    if (limit.signal.aborted && error instanceof OperationStoppedError)
      throw new SyncTimeoutError(
        `${kind} took longer than ${ms} ms, the limit of a synchronous request, and was stopped; run it as an operation: POST /api/admin/operations {"kind":"${kind}"}`,
        { kind, limitMs: ms },
      );
    throw error;
  } finally {
    clearTimeout(timer);
  }
};
