import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation.types.js';
import { coerceTimestamp, parseIso } from './timestamp.rule.js';

const range = DEFAULT_VALIDATION_SETTINGS.createdAtRange;

describe('coerceTimestamp', () => {
  const accepted: [unknown, number, boolean][] = [
    [1700000000000, 1700000000000, false],
    [range.min, range.min, false], // inclusive lower bound
    [range.max - 1, range.max - 1, false],
    ['1700000000000', 1700000000000, true],
    ['2023-11-14T22:13:20.000Z', 1700000000000, true],
    ['2023-11-14T22:13:20Z', 1700000000000, true],
    ['2023-11-14T23:13:20+01:00', 1700000000000, true],
    ['2023-11-14T17:13:20-0500', 1700000000000, true],
    ['2023-11-14T22:13:20.123456Z', 1700000000123, true], // sub-millisecond digits truncated
    ['2023-11-14T22:13Z', 1699999980000, true],
    ['2023-11-14', Date.UTC(2023, 10, 14), true], // a date is UTC midnight
    ['2024-02-29', Date.UTC(2024, 1, 29), true],
  ];
  for (const [value, expected, coerced] of accepted) {
    it(`reads ${JSON.stringify(value)} as ${expected}${coerced ? ' (coerced)' : ''}`, () => {
      assert.deepEqual(coerceTimestamp(value, range, 'createdAt'), {
        ok: true,
        value: expected,
        coerced,
      });
    });
  }

  const rejected: [unknown, string][] = [
    [1.5, 'timestamp-not-integer'],
    [1700000000000.5, 'timestamp-not-integer'],
    [Number.NaN, 'timestamp-not-integer'],
    [Number.POSITIVE_INFINITY, 'timestamp-not-integer'],
    [-1, 'timestamp-out-of-range'],
    [0, 'timestamp-out-of-range'],
    [9e15, 'timestamp-out-of-range'],
    [1700000000, 'timestamp-out-of-range'], // seconds are not guessed
    [range.max, 'timestamp-out-of-range'], // exclusive upper bound
    [range.min - 1, 'timestamp-out-of-range'],
    ['9000000000000000', 'timestamp-out-of-range'],
    ['99999999999999999', 'timestamp-unparseable'], // beyond 16 digits
    ['1.5', 'timestamp-unparseable'],
    ['-1', 'timestamp-unparseable'],
    ['yesterday', 'timestamp-unparseable'],
    ['', 'timestamp-unparseable'],
    [' 1700000000000', 'timestamp-unparseable'],
    ['2023-11-14T22:13:20', 'timestamp-unparseable'], // no zone: would depend on the machine
    ['2023-02-30', 'timestamp-unparseable'],
    ['2023-13-01', 'timestamp-unparseable'],
    ['2023-11-14T24:00:00Z', 'timestamp-unparseable'],
    ['Tue Nov 14 2023', 'timestamp-unparseable'],
    ['1999-12-31T23:59:59.999Z', 'timestamp-out-of-range'],
    [true, 'invalid-type'],
    [{}, 'invalid-type'],
    [[1700000000000], 'invalid-type'],
  ];
  for (const [value, code] of rejected) {
    it(`rejects ${JSON.stringify(value) ?? String(value)} with ${code}`, () => {
      const outcome = coerceTimestamp(value, range, 'createdAt');
      assert.ok(!outcome.ok);
      assert.deepEqual(
        outcome.reasons.map((r) => [r.code, r.field]),
        [[code, 'createdAt']],
      );
    });
  }
});

describe('parseIso', () => {
  it('keeps years below 100 as they are (no 19xx mapping)', () => {
    assert.equal(parseIso('0050-01-01'), new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('is undefined for non-dates', () => {
    assert.equal(parseIso('2023-11-14T22:13:20.000'), undefined);
    assert.equal(parseIso('2023-11-14T22:13:20+25:00'), undefined);
    assert.equal(parseIso('2023-1-14'), undefined);
  });
});
