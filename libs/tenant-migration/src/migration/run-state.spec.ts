import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationRunEntity } from './migration-run.entity.js';
import { isBalanced, RunState, sampleExceptions } from './run-state.js';
import type { ExceptionRow } from './tenant-merge.types.js';
import type { ExceptionSample } from './migration-request.types.js';
import { emptyCounts, type MigrationRunOptions } from './migration.types.js';

const OPTIONS: MigrationRunOptions = { prefix: 'tenant:', batchSize: 10, conflictPolicy: 'skip' };

const resumedRun = {
  id: 'run-1',
  counts: { scanned: 40, migrated: 40, created: 40 },
  checkpoint: { cursor: '5', batches: 4, server: 's', secret: '01'.repeat(16) },
} as MigrationRunEntity;

describe('RunState', () => {
  it('starts a resumed run from its checkpoint: counts, batch number, secret', () => {
    const state = new RunState(resumedRun, OPTIONS, true);
    assert.deepEqual(state.counts, { ...emptyCounts(), scanned: 40, migrated: 40, created: 40 });
    assert.equal(state.scannedAtStart, 40);
    assert.equal(state.batchNumber, 4);
    assert.equal(state.secretHex, '01'.repeat(16));
    assert.equal(state.dryRun, false);
    assert.equal(state.scanFinished, false);
  });

  it('draws a fresh secret for a new run or a dry run', () => {
    const a = new RunState(null, OPTIONS, false);
    const b = new RunState(null, OPTIONS, false);
    assert.equal(a.secretHex.length, 32);
    assert.notEqual(a.secretHex, b.secretHex);
    assert.equal(a.batchNumber, 0);
    assert.equal(a.dryRun, true);
  });

  it('reports each batch’s share of the counts once', () => {
    const state = new RunState(resumedRun, OPTIONS, true);
    state.counts.scanned += 10;
    state.counts.migrated += 8;
    state.counts.skipped += 2;
    assert.deepEqual(state.batchReport(5, 3, 4), {
      number: 5,
      scanned: 10,
      migrated: 8,
      unchanged: 0,
      skipped: 2,
      rejected: 0,
      conflicts: 0,
      readMs: 3,
      writeMs: 4,
    });
    state.counts.scanned += 1;
    state.counts.rejected += 1;
    const next = state.batchReport(6, 0, 0);
    assert.deepEqual([next.scanned, next.migrated, next.rejected], [1, 0, 1]);
  });

  it('tells an observer each batch’s share, its exceptions by first reason', () => {
    const state = new RunState(resumedRun, OPTIONS, true);
    state.counts.created += 3;
    state.counts.updated += 1;
    state.counts.unchanged += 2;
    const exceptions: ExceptionRow[] = [
      { key: 'tenant:a', bucket: 'skipped', reasons: [{ code: 'reserved', message: 'r' }] },
      { key: 'tenant:b', bucket: 'skipped', reasons: [{ code: 'reserved', message: 'r' }] },
      {
        key: 'tenant:c',
        bucket: 'rejected',
        reasons: [
          { code: 'invalid-json', message: 'j' },
          { code: 'too-large', message: 't' },
        ],
      },
    ];
    assert.deepEqual(state.observation(exceptions, 3, 4), {
      dryRun: false,
      created: 3,
      updated: 1,
      unchanged: 2,
      skippedByReason: { reserved: 2 },
      rejectedByReason: { 'invalid-json': 1 },
      readMs: 3,
      writeMs: 4,
    });
    state.counts.unchanged += 1;
    const next = state.observation([], 0, 0);
    assert.deepEqual([next.created, next.updated, next.unchanged], [0, 0, 1]);
  });

  it('estimates the total from how far the cursor is through the database', () => {
    const state = new RunState(null, OPTIONS, false);
    state.counts.scanned = 100;
    assert.equal(state.progress(1, '12').estimatedTotal, null, 'no DBSIZE, no estimate');
    state.databaseSize = 1024;
    // Cursor 8 (bit 3) reversed over 10 bits is 64 (bit 6) of 1024 buckets: 1/16 of the way.
    assert.equal(state.progress(2, '8').estimatedTotal, 1600);
    assert.equal(state.progress(3, '0').estimatedTotal, 100, 'the end of the scan');
  });

  it('keeps twenty samples, and a balanced result adds up', () => {
    const samples: ExceptionSample[] = [];
    const rows: ExceptionRow[] = Array.from({ length: 25 }, (_, i) => ({
      key: `tenant:k${i}`,
      bucket: 'rejected',
      reasons: [{ code: 'invalid-json', message: 'not JSON' }],
    }));
    sampleExceptions(rows, samples);
    assert.equal(samples.length, 20);
    assert.equal(samples[19].key, 'tenant:k19');
    const counts = { ...emptyCounts(), scanned: 3, migrated: 1, created: 1, skipped: 2 };
    assert.equal(isBalanced(counts), false, 'skipped reasons missing');
    assert.equal(isBalanced({ ...counts, skippedByReason: { vanished: 2 } }), true);
  });
});
