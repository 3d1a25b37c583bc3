import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allOf } from './callbacks.js';

describe('allOf', () => {
  it('is undefined when no callback is given, so the caller can skip work', () => {
    assert.equal(allOf(), undefined);
    assert.equal(allOf(undefined, undefined), undefined);
  });

  it('calls each given callback in order with the same arguments', () => {
    const calls: string[] = [];
    const both = allOf<[string, number]>(
      (s, n) => calls.push(`a ${s} ${n}`),
      undefined,
      (s, n) => calls.push(`b ${s} ${n}`),
    );
    both?.('x', 1);
    assert.deepEqual(calls, ['a x 1', 'b x 1']);
  });
});
