import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type CountryCode,
  getCountries,
  getExampleNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';
import { assertPhoneRegion, checkPhone, isPossibleE164 } from './phone.rule.js';

describe('checkPhone', () => {
  const accepted: [string, CountryCode | undefined, string | null, string[]][] = [
    ['+15551234567', undefined, '+15551234567', []],
    ['+15550000003', undefined, '+15550000003', []], // the seed data's fictional numbers
    ['+442079460958', undefined, '+442079460958', []],
    ['+33612345678', 'GB', '+33612345678', []],
    ['+1 (555) 123-4567', undefined, '+15551234567', ['normalized-phone']],
    ['+44 20 7946 0958', undefined, '+442079460958', ['normalized-phone']],
    ['020 7946 0958', 'GB', '+442079460958', ['normalized-phone']],
    ['(555) 123-4567', 'US', '+15551234567', ['normalized-phone']],
    ['06 12 34 56 78', 'FR', '+33612345678', ['normalized-phone']],
    [' +15551234567 ', undefined, '+15551234567', ['normalized-phone']],
    ['', undefined, null, ['empty-value']],
  ];
  for (const [value, region, expected, notes] of accepted) {
    it(`accepts ${JSON.stringify(value)} (region ${region ?? 'none'}) as ${expected}`, () => {
      const outcome = checkPhone(value, region);
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(outcome.value, expected);
      assert.deepEqual(
        outcome.notes.map((n) => n.code),
        notes,
      );
    });
  }

  const rejected: [unknown, CountryCode | undefined, string][] = [
    ['020 7946 0958', undefined, 'invalid-phone'], // national number, no region configured
    ['5551234567', undefined, 'invalid-phone'],
    ['+1555123456', undefined, 'invalid-phone'], // too short for +1
    ['+155512345678', undefined, 'invalid-phone'], // too long for +1
    ['+0123456789', undefined, 'invalid-phone'],
    ['+9991234567', undefined, 'invalid-phone'], // no such calling code
    ['12', 'GB', 'invalid-phone'],
    ['call me', 'GB', 'invalid-phone'],
    ['+1 555 123 4567 ext. 89', undefined, 'invalid-phone'], // E.164 has no extension
    ['+1'.padEnd(80, '5'), undefined, 'invalid-phone'],
    [15551234567, undefined, 'invalid-type'],
  ];
  for (const [value, region, code] of rejected) {
    it(`rejects ${JSON.stringify(value)} (region ${region ?? 'none'}) with ${code}`, () => {
      const outcome = checkPhone(value, region);
      assert.ok(!outcome.ok);
      assert.deepEqual(
        outcome.reasons.map((r) => [r.code, r.field]),
        [[code, 'phone']],
      );
    });
  }

  it('says a region is needed when a national number is given without one', () => {
    const outcome = checkPhone('020 7946 0958', undefined);
    assert.ok(!outcome.ok);
    assert.match(outcome.reasons[0]?.message ?? '', /default region/);
  });
});

describe('isPossibleE164', () => {
  it("agrees with libphonenumber-js's full parse on every region's example number", () => {
    const disagreements: string[] = [];
    let checked = 0;
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (example === undefined) continue;
      checked++;
      const full = parsePhoneNumberFromString(example.number)?.isPossible() ?? false;
      if (isPossibleE164(example.number) !== full)
        disagreements.push(`${country} ${example.number}`);
    }
    assert.ok(checked > 200);
    assert.deepEqual(disagreements, []);
  });

  it('rejects what is not E.164', () => {
    for (const text of ['15551234567', '+1 555 123 4567', '+', '+0', '+1234567890123456']) {
      assert.equal(isPossibleE164(text), false, text);
    }
  });
});

describe('assertPhoneRegion', () => {
  it('accepts known regions and none', () => {
    assert.doesNotThrow(() => assertPhoneRegion('GB'));
    assert.doesNotThrow(() => assertPhoneRegion(undefined));
  });

  it('throws on an unknown region', () => {
    assert.throws(() => assertPhoneRegion('XX'), /not a supported/);
  });
});
