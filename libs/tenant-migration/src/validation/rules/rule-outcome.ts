import type { OutcomeReason } from '../../common/outcome-reason.js';
import { NO_REASONS, reason } from '../reasons.js';

/**
 * What a rule says about one value: accepted (with its normalized form and the notes on what
 * normalization changed) or rejected (with every reason). Rules never throw on bad data.
 */
export type RuleOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly notes: readonly OutcomeReason[] }
  | { readonly ok: false; readonly reasons: readonly OutcomeReason[] };

export const accept = <T>(
  value: T,
  notes: readonly OutcomeReason[] = NO_REASONS,
): RuleOutcome<T> => ({
  ok: true,
  value,
  notes,
});

export const reject = <T = never>(...reasons: OutcomeReason[]): RuleOutcome<T> => ({
  ok: false,
  reasons,
});

/** Accepted as "not there" (null): the shared instance, so absent fields cost nothing. */
export const ABSENT: RuleOutcome<null> = Object.freeze({
  ok: true,
  value: null,
  notes: NO_REASONS,
});

/** An empty (or blank) optional value: stored as absent, and noted. */
export const emptyAsAbsent = (field: string): RuleOutcome<null> =>
  accept(null, [reason('empty-value', `${field} was empty; stored as absent`, field)]);
