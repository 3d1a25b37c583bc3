import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryCounter, PROGRESS_EVERY } from './backup-progress.js';

describe('entryCounter', () => {
  it('reports every PROGRESS_EVERY entries with the count so far', () => {
    const reports: number[] = [];
    const count = entryCounter((entries) => reports.push(entries));
    for (let i = 0; i < PROGRESS_EVERY * 2 + 5; i++) count();
    assert.deepEqual(reports, [PROGRESS_EVERY, PROGRESS_EVERY * 2]);
  });

  it('counts without a report to make', () => {
    const count = entryCounter(undefined);
    assert.doesNotThrow(() => count());
  });
});
