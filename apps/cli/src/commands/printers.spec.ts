import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationResult, Operation, OperationProgress } from '#tenant-migration';
import { restoreExitCode } from './restore.printer.js';
import { verifyExitCode } from './backup.printer.js';
import { migrationExitCode, printResumeNotice } from './migration.printer.js';
import {
  controlLine,
  countsSummary,
  operationRows,
  progressCell,
  resultSummary,
} from './operations.printer.js';

describe('CLI output helpers', () => {
  it('a restore exits 1 only when conflicts were left alone', () => {
    assert.equal(restoreExitCode({ conflicts: 0 }), 0);
    assert.equal(restoreExitCode({ conflicts: 2 }), 1);
  });

  it("verify's exit code is the file's integrity", () => {
    assert.equal(verifyExitCode({ ok: true }), 0);
    assert.equal(verifyExitCode({ ok: false }), 1);
  });

  it('a migration exits 3 when unbalanced, 1 with rejects or conflicts, 0 otherwise', () => {
    const counts = (rejected: number, conflicts: number) =>
      ({ rejected, conflicts }) as MigrationResult['counts'];
    assert.equal(migrationExitCode({ counts: counts(0, 0), balanced: false }), 3);
    assert.equal(migrationExitCode({ counts: counts(1, 0), balanced: true }), 1);
    assert.equal(migrationExitCode({ counts: counts(0, 1), balanced: true }), 1);
    assert.equal(migrationExitCode({ counts: counts(0, 0), balanced: true }), 0);
  });
});

describe('printResumeNotice', () => {
  const result = {
    runId: '7c4a1f0e-0000-4000-8000-000000000001',
    options: { prefix: 'subdomain:', batchSize: 100, conflictPolicy: 'keep-postgres' },
  } as MigrationResult;
  const noticeFor = (asked: { batchSize?: number; conflictPolicy?: string }): string[] => {
    const lines: string[] = [];
    printResumeNotice({ err: (text) => lines.push(text) }, result, asked);
    return lines;
  };

  it('says nothing when this invocation asked for no other options', () => {
    assert.deepEqual(noticeFor({}), []);
    assert.deepEqual(noticeFor({ batchSize: 100, conflictPolicy: 'keep-postgres' }), []);
  });

  it('names the options the run kept when others were asked for', () => {
    const notice =
      'tenant-migrate: resumed run 7c4a1f0e-0000-4000-8000-000000000001 kept its own options ' +
      '(batch size 100, conflict policy keep-postgres); use --no-resume to start a new run with yours';
    assert.deepEqual(noticeFor({ batchSize: 50 }), [notice]);
    assert.deepEqual(noticeFor({ conflictPolicy: 'overwrite' }), [notice]);
  });
});

describe('operations printers', () => {
  const operation = (over: Partial<Operation>): Operation => ({
    id: '7c4a1f0e-0000-4000-8000-000000000001',
    kind: 'migrate',
    params: {},
    actor: 'admin-api',
    status: 'running',
    progress: null,
    result: null,
    error: null,
    runId: null,
    exclusiveScope: 'tenants',
    worker: null,
    attempts: 1,
    createdAt: new Date('2026-12-02T10:00:00.000Z'),
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    updatedAt: new Date('2026-12-02T10:00:00.000Z'),
    ...over,
  });
  const progress = (done: number, total: number | null): OperationProgress => ({
    phase: 'migrating',
    unit: 'keys',
    done,
    total,
    counts: {},
    rate: null,
    etaSeconds: null,
  });

  it('progress is done/total, done/? while the total is unknown, - before any report', () => {
    assert.equal(progressCell(null), '-');
    assert.equal(progressCell(progress(1500, null)), '1,500/?');
    assert.equal(progressCell(progress(1500, 12000)), '1,500/12,000');
  });

  it('the list table: a header, one row per operation, columns as wide as their widest cell', () => {
    const rows = operationRows([
      operation({ progress: progress(20, 100) }),
      operation({
        id: '7c4a1f0e-0000-4000-8000-000000000002',
        kind: 'restore-postgres',
        status: 'interrupted',
        actor: null,
        createdAt: new Date('2026-12-02T09:00:00.000Z'),
      }),
    ]);
    assert.deepEqual(rows, [
      'ID                                    KIND              STATUS       PROGRESS  ACTOR      CREATED',
      '7c4a1f0e-0000-4000-8000-000000000001  migrate           running      20/100    admin-api  2026-12-02T10:00:00.000Z',
      '7c4a1f0e-0000-4000-8000-000000000002  restore-postgres  interrupted  -         -          2026-12-02T09:00:00.000Z',
    ]);
  });

  it('a result is summed up by its plain members, counts by their numbers', () => {
    assert.equal(
      resultSummary({
        status: 'completed',
        balanced: true,
        durationMs: 1234,
        samples: [],
        note: 'x'.repeat(81),
      }),
      'status completed, balanced true, durationMs 1,234',
    );
    assert.equal(
      countsSummary({ scanned: 12000, migrated: 11990, byReason: {} }),
      'scanned 12,000, migrated 11,990',
    );
    assert.equal(countsSummary(undefined), '');
  });

  it('a control request says what happens next', () => {
    assert.match(
      controlLine(operation({ status: 'pausing' })),
      /is pausing: .*`operations resume 7c4a1f0e-0000-4000-8000-000000000001` continues it\.$/,
    );
    assert.match(
      controlLine(operation({ status: 'cancelling' })),
      /is cancelling: it stops at its next batch boundary/,
    );
    assert.match(controlLine(operation({ status: 'queued' })), /is queued again: a worker/);
    assert.equal(
      controlLine(operation({ status: 'cancelled' })),
      'Operation 7c4a1f0e-0000-4000-8000-000000000001 (migrate) is cancelled.',
    );
  });
});
