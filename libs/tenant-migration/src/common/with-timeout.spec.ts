import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('passes a timely result or failure through', async () => {
    assert.equal(await withTimeout(Promise.resolve(42), 1000, 'x'), 42);
    await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 1000, 'x'), /boom/);
  });

  it('rejects, naming what did not answer, once the time is up; a late failure is ignored', async () => {
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<never>((_resolve, reject) => (fail = reject));
    await assert.rejects(withTimeout(late, 20, 'Redis'), /^Error: Redis: no answer within 0.02s$/);
    fail(new Error('too late')); // no unhandled rejection
    await new Promise((resolve) => setImmediate(resolve));
  });
});
