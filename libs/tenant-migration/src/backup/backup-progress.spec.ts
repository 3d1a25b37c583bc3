import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryCounter, PROGRESS_EVERY } from './backup-progress.js';

describe('entryCounter', () => {
  it('reports every PROGRESS_EVERY entries with the count so far', () => {
    const reports: number[] = [];
    const count = entryCounter((entries) => reports.push(entries), null);
    for (let i = 0; i < PROGRESS_EVERY * 2 + 5; i++) count();
    assert.deepEqual(reports, [PROGRESS_EVERY, PROGRESS_EVERY * 2]);
  });

  it('passes the total it was given with every report, null when none', () => {
    const reports: [number, number | null][] = [];
    const of = entryCounter((entries, total) => reports.push([entries, total]), 2500);
    const unknown = entryCounter((entries, total) => reports.push([entries, total]), null);
    for (let i = 0; i < PROGRESS_EVERY; i++) {
      of();
      unknown();
    }
    assert.deepEqual(reports, [
      [PROGRESS_EVERY, 2500],
      [PROGRESS_EVERY, null],
    ]);
  });

  it('counts without a report to make', () => {
    const count = entryCounter(undefined, null);
    assert.doesNotThrow(() => count());
  });
});
