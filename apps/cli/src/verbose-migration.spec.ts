import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCounts, type MigrationProgress } from '#tenant-migration';
import { describeBatch, verboseMigrationHooks } from './verbose-migration.js';

const batch = {
  number: 3,
  scanned: 10,
  migrated: 4,
  unchanged: 3,
  skipped: 1,
  rejected: 2,
  conflicts: 1,
  readMs: 12,
  writeMs: 34,
};
const progress = (dryRun: boolean): MigrationProgress => ({
  runId: dryRun ? null : 'r',
  dryRun,
  counts: { ...emptyCounts(), scanned: 30 },
  batches: 3,
  elapsedMs: 250,
  rate: 120,
  estimatedTotal: null,
  etaSeconds: null,
  batch,
});

describe('verbose migration log', () => {
  it('one batch: its keys, decisions and timings', () => {
    assert.equal(
      describeBatch(batch, progress(false)),
      'batch 3: 10 keys: migrated 4, unchanged 3, skipped 1, rejected 2 (conflicts 1); read 12 ms, written 34 ms; scanned 30 in all after 250 ms',
    );
    assert.match(describeBatch(batch, progress(true)), /: would migrate 4, .* decided 34 ms;/);
  });

  it('hooks: a line per batch and per run stage, none for the batch stages', () => {
    const lines: string[] = [];
    const hooks = verboseMigrationHooks((line) => lines.push(line), 'migrate');
    hooks.onStart('r1', false);
    hooks.onStage('run-recorded', 0);
    hooks.onStage('batch-read', 1);
    hooks.onStage('batch-committed', 1);
    hooks.onProgress(progress(false));
    hooks.onProgress({ ...progress(false), batch: undefined });
    hooks.onStage('scan-finished', 3);
    hooks.onStage('run-finished', 3);
    assert.deepEqual(lines, [
      'migrate: run r1 started',
      'migrate: run recorded, starting at batch 1',
      `migrate: ${describeBatch(batch, progress(false))}`,
      'migrate: scan finished after batch 3',
      'migrate: run closed as completed',
    ]);
  });

  it('a resumed run says where it goes on', () => {
    const lines: string[] = [];
    const hooks = verboseMigrationHooks((line) => lines.push(line), 'resume');
    hooks.onStart('r2', true);
    hooks.onStage('run-recorded', 7);
    assert.deepEqual(lines, [
      'resume: run r2 resumed',
      'resume: run recorded, resuming after batch 7',
    ]);
  });
});
