import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyValue } from './copy-text.js';

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
});
