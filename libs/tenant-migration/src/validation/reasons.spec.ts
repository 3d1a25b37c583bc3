import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isJsonObject,
  jsonTypeOf,
  NOTE_CODES,
  preview,
  reason,
  REJECTION_CODES,
} from './reasons.js';

describe('reason codes', () => {
  it('are unique kebab-case, and no code is both a rejection and a note', () => {
    const all = [...REJECTION_CODES, ...NOTE_CODES];
    assert.equal(new Set(all).size, all.length);
    for (const code of all) assert.match(code, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });
});

describe('reason', () => {
  it('leaves field out when it does not apply', () => {
    assert.deepEqual(reason('invalid-json', 'bad'), { code: 'invalid-json', message: 'bad' });
    assert.equal(Object.hasOwn(reason('invalid-json', 'bad'), 'field'), false);
    assert.deepEqual(reason('invalid-emoji', 'bad', 'emoji'), {
      code: 'invalid-emoji',
      message: 'bad',
      field: 'emoji',
    });
  });
});

describe('preview', () => {
  const cases: [unknown, string][] = [
    ['pizza', '"pizza"'],
    [1.5, '1.5'],
    [null, 'null'],
    [{ a: 1 }, '{"a":1}'],
    [undefined, 'undefined'],
    ['x'.repeat(100), `"${'x'.repeat(76)}...`],
    // What JSON.parse makes of 1e400 and of 12345678901234567890: never "null", never a bare rounded number.
    [JSON.parse('1e400'), 'a number too large to represent (beyond 1.8e308)'],
    [JSON.parse('-1e400'), 'a number too large to represent (-beyond 1.8e308)'],
    [
      JSON.parse('12345678901234567890'),
      '12345678901234567000 (rounded: an integer this large has no exact value)',
    ],
  ];
  for (const [value, expected] of cases)
    it(`shows ${String(expected).slice(0, 20)}`, () => assert.equal(preview(value), expected));

  it('never cuts a surrogate pair in half', () => {
    for (let pad = 0; pad < 4; pad++) {
      const shown = preview('a'.repeat(pad) + '🍕'.repeat(60));
      assert.doesNotMatch(shown, /\p{Cs}/u, `pad ${pad}`);
      assert.ok(shown.length <= 80);
    }
  });
});

describe('isJsonObject / jsonTypeOf', () => {
  const cases: [unknown, boolean, string][] = [
    [{}, true, 'object'],
    [[], false, 'array'],
    [null, false, 'null'],
    [1, false, 'number'],
    ['{}', false, 'string'],
    [true, false, 'boolean'],
  ];
  for (const [value, isObject, type] of cases) {
    it(`${JSON.stringify(value)} is ${type}`, () => {
      assert.equal(isJsonObject(value), isObject);
      assert.equal(jsonTypeOf(value), type);
    });
  }
});
