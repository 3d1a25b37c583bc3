import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchTurn } from './batch-turn.js';

describe('BatchTurn', () => {
  it('lets a batch wait for the previous one to merge and commit', async () => {
    const first = new BatchTurn(null);
    const second = new BatchTurn(first);
    const order: string[] = [];
    const waiting = second.previous!.committed.done.then(() => order.push('second commits'));
    order.push('first commits');
    first.committed.resolve();
    await waiting;
    assert.deepEqual(order, ['first commits', 'second commits']);
  });

  it('passes a failure on to the next batch, and an unobserved failure is not unhandled', async () => {
    const first = new BatchTurn(null);
    const second = new BatchTurn(first);
    const boom = new Error('merge failed');
    first.fail(boom);
    await assert.rejects(second.previous!.merged.done, boom);
    await assert.rejects(second.previous!.committed.done, boom);
    new BatchTurn(null).fail(new Error('nobody listens'));
    await new Promise((resolve) => setImmediate(resolve));
  });
});
