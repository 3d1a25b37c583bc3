import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '#tenant-migration';
import { assertNoArguments, assertRunId } from './cli-arguments.js';

describe('CLI arguments', () => {
  it('accepts no stray words and names the first one', () => {
    assert.doesNotThrow(() => assertNoArguments([], 'migrate'));
    assert.throws(() => assertNoArguments(['frobnicate'], 'tenant-migrate'), (e: unknown) =>
      e instanceof InvalidOptionError && /unknown command "frobnicate"/.test(e.message));
    assert.throws(() => assertNoArguments(['extra', 'more'], 'migrate'), /unexpected argument "extra" for migrate/);
  });

  it('accepts only UUIDs as run ids', () => {
    assert.equal(assertRunId('5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10'), '5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10');
    for (const bad of [undefined, '', 'not-a-uuid', "1' OR '1'='1"]) assert.throws(() => assertRunId(bad), InvalidOptionError);
  });
});
