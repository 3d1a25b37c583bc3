import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contentCommand, digestContent } from './redis-content-digest.js';

const b = (s: string) => Buffer.from(s);

describe('digestContent', () => {
  it('ignores the order of hash fields and set members', () => {
    assert.equal(
      digestContent('hash', [b('a'), b('1'), b('b'), b('2')]),
      digestContent('hash', [b('b'), b('2'), b('a'), b('1')]),
    );
    assert.equal(
      digestContent('set', [b('x'), b('y'), b('z')]),
      digestContent('set', [b('z'), b('x'), b('y')]),
    );
  });

  it('keeps list order and tells values, types and structure apart', () => {
    assert.notEqual(
      digestContent('list', [b('a'), b('b')]),
      digestContent('list', [b('b'), b('a')]),
    );
    assert.notEqual(
      digestContent('hash', [b('a'), b('1')]),
      digestContent('hash', [b('a'), b('2')]),
    );
    assert.notEqual(digestContent('set', [b('a')]), digestContent('list', [b('a')]));
    assert.notEqual(digestContent('list', [b('ab')]), digestContent('list', [b('a'), b('b')]));
    assert.notEqual(
      digestContent('set', [Buffer.from([0xff])]),
      digestContent('set', [Buffer.from([0xfe])]),
    );
  });

  it('has a content command for each collection type and none for strings', () => {
    for (const type of ['hash', 'list', 'set', 'zset', 'stream']) assert.ok(contentCommand(type));
    assert.equal(contentCommand('string'), null);
  });
});
