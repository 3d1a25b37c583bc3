import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationResult } from '#tenant-migration';
import { restoreExitCode } from './restore.printer.js';
import { verifyExitCode } from './backup.printer.js';
import { migrationExitCode, printResumeNotice } from './migration.printer.js';

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
