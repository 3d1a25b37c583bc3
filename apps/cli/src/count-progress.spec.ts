import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CountProgress, countBarFormat, countLine, LinePace } from './count-progress.js';

describe('CountProgress', () => {
  it('rates the count from when it started, with an ETA only when the total is known', () => {
    const counted = new CountProgress(10_000);
    assert.deepEqual(counted.report(6000, null, 13_000), {
      done: 6000,
      total: null,
      rate: 2000,
      etaSeconds: null,
    });
    assert.deepEqual(counted.report(6000, 10_000, 13_000), {
      done: 6000,
      total: 10_000,
      rate: 2000,
      etaSeconds: 2,
    });
  });

  it('knows no rate (and so no ETA) before any time has passed', () => {
    assert.deepEqual(new CountProgress(5000).report(1000, 3000, 5000), {
      done: 1000,
      total: 3000,
      rate: 0,
      etaSeconds: null,
    });
  });

  it('a report of 0 starts the count anew: the next pass is rated on its own time', () => {
    const counted = new CountProgress(0);
    counted.report(9000, 9000, 9000); // the verification: 1,000 entries/s
    assert.equal(counted.report(0, 9000, 9000).rate, 0);
    assert.deepEqual(counted.report(1000, 9000, 9500), {
      done: 1000,
      total: 9000,
      rate: 2000,
      etaSeconds: 4,
    });
  });

  it('never shows a total below the count (a file holding more entries than its record says)', () => {
    const s = new CountProgress(0).report(3000, 2500, 1000);
    assert.deepEqual([s.total, s.etaSeconds], [3000, 0]);
  });
});

describe('countLine', () => {
  it('the count and rate in the unit, thousands separated; a total and ETA when known', () => {
    assert.equal(
      countLine('checking', 'keys', { done: 12_000, total: null, rate: 4000, etaSeconds: null }),
      'checking: 12,000 keys (4,000 keys/s)',
    );
    assert.equal(
      countLine('restoring', 'entries', {
        done: 3000,
        total: 10_000,
        rate: 1500,
        etaSeconds: 5,
      }),
      'restoring: 3,000/10,000 entries (1,500 entries/s, ETA 5s)',
    );
    assert.equal(
      countLine('verifying backup', 'entries', {
        done: 1000,
        total: 2500,
        rate: 0,
        etaSeconds: null,
      }),
      'verifying backup: 1,000/2,500 entries (0 entries/s)',
    );
  });
});

describe('countBarFormat', () => {
  it("is laid out as migrate's bar: a bar and an ETA with a total, the count alone without", () => {
    assert.equal(
      countBarFormat('restoring', 'entries', true),
      'restoring [{bar}] {value}/{total} entries | {rate}/s | ETA {eta_formatted}',
    );
    assert.equal(countBarFormat('checking', 'keys', false), 'checking {value} keys | {rate}/s');
  });
});

describe('LinePace', () => {
  /** A clock reading, as Date.now gives: `ms` after a fixed moment. */
  const at = (ms: number): number => 1_700_000_000_000 + ms;

  it("a migration's first line is due at once, then one per interval", () => {
    const pace = new LinePace(5000);
    assert.deepEqual(
      [0, 2000, 5000, 5001, 10_000].map((ms) => pace.due(at(ms))),
      [true, false, true, false, true],
    );
  });

  it("a count's first line is due one interval after it started: a short command writes none", () => {
    const pace = new LinePace(5000);
    pace.start(at(1000));
    pace.start(at(4000)); // a second count of the same command (a restore's) does not push it back
    assert.deepEqual(
      [2000, 5999, 6000, 9000, 11_000].map((ms) => pace.due(at(ms))),
      [false, false, true, false, true],
    );
  });

  it('an interval of 0 makes every report due', () => {
    const pace = new LinePace(0);
    pace.start(at(1000));
    assert.deepEqual(
      [1000, 1000, 1001].map((ms) => pace.due(at(ms))),
      [true, true, true],
    );
  });
});
