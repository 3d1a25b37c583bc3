import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionBudgetOf } from './postgres-session.factory.js';

describe('sessionBudgetOf', () => {
  it('keeps 3 connections of a pool of 9 or more for short queries', () => {
    assert.equal(sessionBudgetOf(10), 7);
    assert.equal(sessionBudgetOf(9), 6);
    assert.equal(sessionBudgetOf(50), 47);
  });

  it('keeps a third of a small pool, and always lets one session run', () => {
    assert.equal(sessionBudgetOf(6), 4);
    assert.equal(sessionBudgetOf(3), 2);
    assert.equal(sessionBudgetOf(2), 2);
    assert.equal(sessionBudgetOf(1), 1);
  });
});
