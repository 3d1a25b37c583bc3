import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { cliActor } from './cli-actor.js';

describe('cliActor', () => {
  it('names the operating-system user', () => {
    assert.equal(
      cliActor(() => ({ username: 'ops' })),
      'cli:ops',
    );
    assert.equal(cliActor(), `cli:${userInfo().username}`);
  });

  it('falls back to cli:unknown when the user has no name or cannot be looked up', () => {
    assert.equal(
      cliActor(() => ({ username: '' })),
      'cli:unknown',
    );
    assert.equal(
      cliActor(() => {
        throw new Error('ENOENT: no passwd entry');
      }),
      'cli:unknown',
    );
  });
});
