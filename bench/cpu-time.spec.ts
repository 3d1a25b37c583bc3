import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuBetween, cpuReportLines, parseStat } from './cpu-time.js';

describe('CPU time of the scenario processes', () => {
  it('reads utime+stime and cutime+cstime after the command name, whatever the name holds', () => {
    const fields = 'S 1 2 3 4 5 6 7 8 9 10 250 50 1000 200 20 0 4 0 99';
    assert.deepEqual(parseStat(`4242 (node) ${fields}`), { own: 3, children: 12 });
    assert.deepEqual(parseStat(`4242 (a) b (c)) ${fields}`), { own: 3, children: 12 });
    assert.equal(parseStat('4242 node S 1 2'), null);
    assert.equal(parseStat(`4242 (node) S 1 2 3`), null);
  });

  it('takes the difference of two samples, never below zero (a process that restarted)', () => {
    assert.deepEqual(
      cpuBetween(
        { parts: { app: 2, Redis: 5 }, at: 1000 },
        { parts: { app: 7.5, Redis: 1 }, at: 4000 },
      ),
      { parts: { app: 5.5, Redis: 0 }, seconds: 3 },
    );
  });

  it('reports each part in both runs, the busy share of the cores, and the cost per request', () => {
    const lines = cpuReportLines(
      { parts: { app: 30, PostgreSQL: 10, bench: 0 }, seconds: 25 },
      { parts: { app: 42, PostgreSQL: 12, bench: 6 }, seconds: 40 },
      20_000,
      2,
    );
    assert.deepEqual(lines, [
      'CPU seconds (user + system) during each migration, 2 cores:',
      'part          baseline    loaded difference',
      'app               30.0      42.0      +12.0',
      'PostgreSQL        10.0      12.0       +2.0',
      'bench              0.0       6.0       +6.0',
      'all               40.0      60.0      +20.0',
      'cores kept busy: 80 % in the baseline (25.0 s), 75 % loaded (40.0 s)',
      "the load's extra CPU per request answered during the migration: app 0.60 ms, PostgreSQL 0.10 ms, bench 0.30 ms",
    ]);
  });
});
