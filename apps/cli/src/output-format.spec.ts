import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { byReason, formatBytes, formatCount, formatSeconds } from './output-format.js';

describe('CLI output formats', () => {
  it('formats byte counts in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 2), '5.0 MiB');
    assert.equal(formatBytes(3 * 1024 ** 5), '3072.0 TiB');
  });

  it('formats counts with separators and durations in seconds', () => {
    assert.equal(formatCount(12000), '12,000');
    assert.equal(formatSeconds(1540), '1.5s');
  });

  it('lists reasons largest first', () => {
    assert.equal(byReason({ a: 1, b: 3, c: 2 }), 'b 3, c 2, a 1');
    assert.equal(byReason({}), '');
  });
});
