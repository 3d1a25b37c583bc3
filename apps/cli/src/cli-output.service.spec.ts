import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, restoreExitCode, verifyExitCode } from './cli-output.service.js';

describe('CLI output helpers', () => {
  it('formats byte counts in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 2), '5.0 MiB');
    assert.equal(formatBytes(3 * 1024 ** 5), '3072.0 TiB');
  });

  it('a restore exits 1 only when conflicts were left alone', () => {
    assert.equal(restoreExitCode({ conflicts: 0 }), 0);
    assert.equal(restoreExitCode({ conflicts: 2 }), 1);
  });

  it("verify's exit code is the file's integrity", () => {
    assert.equal(verifyExitCode({ ok: true }), 0);
    assert.equal(verifyExitCode({ ok: false }), 1);
  });
});
