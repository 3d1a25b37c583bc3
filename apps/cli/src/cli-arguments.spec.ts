import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '#tenant-migration';
import {
  assertNoArguments,
  assertOperationId,
  assertRunId,
  parseChoice,
  parseLimit,
  parseOffset,
  parseRedisUrl,
} from './cli-arguments.js';

describe('CLI arguments', () => {
  it('accepts no stray words and names the first one', () => {
    assert.doesNotThrow(() => assertNoArguments([], 'migrate'));
    assert.throws(
      () => assertNoArguments(['frobnicate'], 'tenant-migrate'),
      (e: unknown) =>
        e instanceof InvalidOptionError && /unknown command "frobnicate"/.test(e.message),
    );
    assert.throws(
      () => assertNoArguments(['extra', 'more'], 'migrate'),
      /unexpected argument "extra" for migrate/,
    );
  });

  it('accepts only UUIDs as run ids', () => {
    assert.equal(
      assertRunId('5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10'),
      '5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10',
    );
    // The last one has the shape of a UUID but no valid variant: the admin API refuses it too.
    for (const bad of [
      undefined,
      '',
      'not-a-uuid',
      "1' OR '1'='1",
      '5f0c1d3e-1111-2222-3333-444455556666',
    ])
      assert.throws(() => assertRunId(bad), InvalidOptionError);
  });

  it('accepts limits from 1 to 1000 only', () => {
    assert.equal(parseLimit('1'), 1);
    assert.equal(parseLimit('1000'), 1000);
    for (const bad of ['0', '1001', '-1', '1.5', '1e3', 'ten', '']) {
      assert.throws(
        () => parseLimit(bad),
        (e: unknown) => e instanceof InvalidOptionError && /--limit must be 1-1000/.test(e.message),
        bad,
      );
    }
  });

  it('accepts only UUIDs as operation ids, and names `operations list`', () => {
    const id = '5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10';
    assert.equal(assertOperationId(id), id);
    for (const bad of [undefined, '', '42', `${id}x`])
      assert.throws(
        () => assertOperationId(bad),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          /is not an operation id \(a UUID, see `operations list`\)$/.test(e.message),
      );
  });

  it('accepts one of the listed choices only, naming them all', () => {
    const kinds = ['migrate', 'check'] as const;
    assert.equal(parseChoice('check', '--kind', kinds), 'check');
    for (const bad of ['Check', 'launch', '', 'migrate,check'])
      assert.throws(
        () => parseChoice(bad, '--kind', kinds),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          e.message === `--kind must be one of migrate, check, got "${bad}"`,
      );
  });

  it('accepts offsets from 0 up to the largest safe integer', () => {
    assert.equal(parseOffset('0'), 0);
    assert.equal(parseOffset('250'), 250);
    assert.equal(parseOffset(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    for (const bad of ['-1', '1.5', '1e3', 'ten', '', '9007199254740992'])
      assert.throws(() => parseOffset(bad), /--offset must be a whole number from 0/, bad);
  });

  it('accepts redis:// and rediss:// URLs and never echoes a rejected one', () => {
    for (const good of [
      'redis://127.0.0.1:6379/13',
      'rediss://default:pw@cache.internal:6380',
      'redis://localhost',
    ]) {
      assert.equal(parseRedisUrl(good, '--target-url'), good);
    }
    for (const bad of [
      'http://user:hunter2@cache:6379',
      'redis://',
      '127.0.0.1:6379',
      'hunter2',
      '',
    ]) {
      assert.throws(
        () => parseRedisUrl(bad, '--target-url'),
        (e: unknown) =>
          e instanceof InvalidOptionError &&
          /^--target-url must be a redis:\/\/ or rediss:\/\/ URL/.test(e.message) &&
          !e.message.includes('hunter2'),
        bad,
      );
    }
  });
});
