import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addCounts, emptyCounts } from './migration.types.js';

describe('addCounts', () => {
  it('adds every count and merges the reason tables', () => {
    const a = {
      ...emptyCounts(),
      scanned: 5,
      migrated: 3,
      created: 3,
      skipped: 1,
      rejected: 1,
      skippedByReason: { vanished: 1 },
      rejectedByReason: { 'invalid-json': 1 },
    };
    const b = {
      ...emptyCounts(),
      scanned: 4,
      migrated: 1,
      updated: 1,
      unchanged: 1,
      skipped: 2,
      conflicts: 1,
      skippedByReason: { vanished: 1, 'conflict-postgres-changed': 1 },
      normalized: 2,
      normalizedByNote: { 'mapped-category': 2 },
      repeated: 3,
    };
    assert.deepEqual(addCounts(a, b), {
      scanned: 9,
      migrated: 4,
      created: 3,
      updated: 1,
      unchanged: 1,
      skipped: 3,
      rejected: 1,
      conflicts: 1,
      skippedByReason: { vanished: 2, 'conflict-postgres-changed': 1 },
      rejectedByReason: { 'invalid-json': 1 },
      normalized: 2,
      normalizedByNote: { 'mapped-category': 2 },
      repeated: 3,
    });
    assert.deepEqual(a.skippedByReason, { vanished: 1 }, 'inputs untouched');
  });
});
