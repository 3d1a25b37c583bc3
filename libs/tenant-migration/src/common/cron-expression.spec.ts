import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
// pg-boss's own cron reader: what the job queue's clock will make of an accepted expression.
import cronParser from 'cron-parser';
import { cronProblem, isTimeZone } from './cron-expression.js';

describe('cronProblem', () => {
  const accepted = [
    '* * * * *',
    '*/15 * * * *',
    '0 3 * * *',
    '0 3 * * mon-fri',
    '0 3 * * MON-Fri',
    '30 2 1,15 jan-jun *',
    '0 0 29 2 *',
    '0 0 30,31 2,4 *',
    '5/10 * * * 0,7',
    '0 9-17/2 * * 1-5',
    '  0   3 * * *  ',
  ];
  for (const expression of accepted)
    it(`accepts ${JSON.stringify(expression)}`, () => {
      assert.equal(cronProblem(expression), null);
    });

  const rejected: [expression: string, problem: RegExp][] = [
    ['* * * *', /^it has 4 fields, not 5$/],
    ['0 * * * * *', /^it has 6 fields, not 5$/],
    ['@daily', /^it has 1 field, not 5$/],
    ['60 * * * *', /^the minute field's 60 is outside 0-59$/],
    ['0 24 * * *', /^the hour field's 24 is outside 0-23$/],
    ['0 0 0 * *', /^the day-of-month field's 0 is outside 1-31$/],
    ['0 0 * 13 *', /^the month field's 13 is outside 1-12$/],
    ['0 0 * * 8', /^the day-of-week field's 8 is outside 0-7$/],
    ['*/0 * * * *', /^the minute field's step must be at least 1$/],
    ['30-10 * * * *', /^the minute field's range 30-10 runs backwards$/],
    ['0 0 * foo *', /^the month field's "foo" is not a number or a name$/],
    ['0 0 * * mon-sun', /^the day-of-week field's range mon-sun runs backwards$/],
    ['0 x * * *', /^the hour field's "x" is not a number$/],
    ['0 0 L * *', /^the day-of-month field's "L" is not a number$/],
    ['0 0 ? * *', /^the day-of-month field's "\?" is not a value, range or step$/],
    ['1,,2 * * * *', /^the minute field's "" is not a value, range or step$/],
    ['0 3 * * mon-', /^the day-of-week field's "mon-" is not a value, range or step$/],
    // A day no listed month has: pg-boss's clock would fail on it at every evaluation.
    ['0 0 31 2,4,6 *', /^its day of the month is never reached in its months$/],
    ['0 0 30 feb *', /^its day of the month is never reached in its month$/],
  ];
  for (const [expression, problem] of rejected)
    it(`rejects ${JSON.stringify(expression)}`, () => {
      assert.match(cronProblem(expression) ?? 'accepted', problem);
    });

  /** Expressions from the grammar, out-of-range values and zero steps included. */
  const item = (max: number, names: readonly string[]) => {
    const number = fc.integer({ min: 0, max: max + 2 }).map(String);
    const value = names.length > 0 ? fc.oneof(number, fc.constantFrom(...names)) : number;
    const span = fc.oneof(
      fc.constant('*'),
      value,
      fc.tuple(value, value).map(([a, b]) => `${a}-${b}`),
    );
    return fc
      .tuple(span, fc.option(fc.integer({ min: 0, max: max + 2 }), { nil: undefined }))
      .map(([s, step]) => (step === undefined ? s : `${s}/${step}`));
  };
  const field = (max: number, names: readonly string[] = []) =>
    fc.array(item(max, names), { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
  const expression = fc
    .tuple(
      field(59),
      field(23),
      field(31),
      field(12, ['jan', 'feb', 'Apr', 'jun', 'NOV']),
      field(7, ['sun', 'Mon', 'fri', 'sat']),
    )
    .map((fields) => fields.join(' '));

  it('accepts only what pg-boss can schedule and evaluate (its cron-parser, in any zone)', () => {
    let checked = 0;
    fc.assert(
      fc.property(expression, fc.constantFrom('UTC', 'Europe/Paris', 'Asia/Kolkata'), (e, tz) => {
        if (cronProblem(e) !== null) return;
        checked++;
        const interval = cronParser.parseExpression(e, { tz });
        assert.ok(interval.prev().getTime() <= Date.now(), e);
      }),
      { numRuns: 2000 },
    );
    // The generator reaches accepted expressions often enough for the property to mean something.
    assert.ok(checked > 100, `only ${checked} accepted expressions`);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and UTC, not made-up names or offsets', () => {
    for (const zone of ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata'])
      assert.equal(isTimeZone(zone), true, zone);
    for (const zone of ['Mars/Olympus', '+01:00', 'Paris', ''])
      assert.equal(isTimeZone(zone), false, zone);
  });
});
