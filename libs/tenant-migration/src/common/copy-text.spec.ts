import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyRow, copyValue } from './copy-text.js';

describe('copyValue', () => {
  const cases: [string | number | boolean | null | undefined, string][] = [
    [null, '\\N'],
    [undefined, '\\N'],
    ['plain', 'plain'],
    ['a\tb', 'a\\tb'],
    ['line\nbreak\r', 'line\\nbreak\\r'],
    ['back\\slash', 'back\\\\slash'],
    ['\\N', '\\\\N'],
    [42, '42'],
    [true, 'true'],
    ['🍕 مرحبا', '🍕 مرحبا'],
  ];
  for (const [input, expected] of cases) {
    it(`formats ${JSON.stringify(input)}`, () => assert.equal(copyValue(input), expected));
  }

  it('joins a row with tabs and ends it with a newline', () => {
    assert.equal(copyRow(['a', null, 1]), 'a\t\\N\t1\n');
  });
});
