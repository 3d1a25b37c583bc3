/**
 * Why a long task was asked to stop at its next batch boundary: an operator's `cancel` or
 * `pause`, or the process shutting down (SIGINT, SIGTERM), which leaves it `interrupted`.
 * The reason travels as the `AbortSignal`'s reason.
 */
export type StopReason = 'cancel' | 'pause' | 'shutdown';

const STOP_REASONS: ReadonlySet<unknown> = new Set<StopReason>(['cancel', 'pause', 'shutdown']);

/** The reason the signal was aborted with, or null while it is not aborted. */
export const stopReasonOf = (signal: AbortSignal | undefined): StopReason | null => {
  if (!signal?.aborted) return null;
  return STOP_REASONS.has(signal.reason) ? (signal.reason as StopReason) : 'cancel';
};
