/** The table-driven cases the rule unit specs share. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleOutcome } from './rule-outcome.js';

export interface RuleCases {
  /** The rule, checking one value. */
  check: (value: unknown) => RuleOutcome<string | null>;
  /** The field the rule names in its reasons. */
  field: string;
  /** A value, what the rule accepts it as, and the codes of the notes it adds. */
  accepted: readonly (readonly [unknown, string | null, readonly string[]])[];
  /** A value and the code of the one reason the rule rejects it with. */
  rejected: readonly (readonly [unknown, string])[];
  /** How many characters of a value's JSON a test's name shows. */
  shown?: number;
}

/** One test a case: each accepted value with its normalized value and notes, each rejection. */
export const itChecksRuleCases = ({
  check,
  field,
  accepted,
  rejected,
  shown = 40,
}: RuleCases): void => {
  const show = (value: unknown): string => String(JSON.stringify(value)).slice(0, shown);
  for (const [value, expected, notes] of accepted) {
    it(`accepts ${show(value)} as ${show(expected)}`, () => {
      const outcome = check(value);
      assert.ok(outcome.ok);
      assert.equal(outcome.value, expected);
      assert.deepEqual(
        outcome.notes.map((n) => n.code),
        notes,
      );
    });
  }
  for (const [value, code] of rejected) {
    it(`rejects ${show(value)} with ${code}`, () => {
      const outcome = check(value);
      assert.ok(!outcome.ok);
      assert.deepEqual(
        outcome.reasons.map((r) => [r.code, r.field]),
        [[code, field]],
      );
    });
  }
};
