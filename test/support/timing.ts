/**
 * Timing bounds of the e2e specs. A bound is the timeout the code under test was configured
 * with plus one fixed allowance: what a loaded 2-core CI machine (spec files in parallel, with
 * PostgreSQL and Redis on the same cores) adds in event-loop lag, GC pauses and scheduling. It is
 * small beside the timeouts under test, so a wait that ignored its timeout, or took twice as
 * long, still fails.
 */
import assert from 'node:assert/strict';

/** What a loaded 2-core CI machine may add to a configured timeout before an answer is late. */
export const CI_ALLOWANCE_MS = 1500;

/** The latest a wait bounded by `timeoutMs` may end: the timeout plus the CI allowance. */
export const boundOf = (timeoutMs: number): number => timeoutMs + CI_ALLOWANCE_MS;

/** Asserts that `elapsedMs` is within `timeoutMs` plus the CI allowance. */
export const assertWithin = (elapsedMs: number, timeoutMs: number, label: string): void => {
  assert.ok(
    elapsedMs < boundOf(timeoutMs),
    `${label}: took ${elapsedMs} ms; bound ${boundOf(timeoutMs)} ms (timeout ${timeoutMs} ms + ${CI_ALLOWANCE_MS} ms CI allowance)`,
  );
};

/**
 * Asserts that a wait bounded by `timeoutMs` lasted the timeout (less `earlyMs` of clock and
 * timer skew) but not past the CI allowance: it ended because the timeout fired, and promptly.
 */
export const assertTimedOutAt = (
  elapsedMs: number,
  timeoutMs: number,
  label: string,
  earlyMs = 100,
): void => {
  assert.ok(
    elapsedMs >= timeoutMs - earlyMs,
    `${label}: took ${elapsedMs} ms, before the ${timeoutMs} ms timeout`,
  );
  assertWithin(elapsedMs, timeoutMs, label);
};
