import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  keyspaceEntryOf,
  lookupReadBytes,
  lookupStateOf,
  shownValue,
  TENANT_LOOKUP_SHOWN_BYTES,
  withoutSplitCharacter,
} from './tenant-lookup.js';

const bytes = (...values: number[]) => Buffer.from(values);

describe('withoutSplitCharacter', () => {
  it('keeps bytes that end on a whole character', () => {
    for (const text of ['', 'a', 'é', '€', '🍕', 'ab€🍕'])
      assert.equal(withoutSplitCharacter(Buffer.from(text)).toString(), text);
  });

  it('drops the start of a character the end cut in two, whatever its length', () => {
    const pizza = Buffer.from('a🍕');
    for (let cut = 2; cut < pizza.length; cut++)
      assert.deepEqual(withoutSplitCharacter(pizza.subarray(0, cut)), bytes(0x61), `cut ${cut}`);
    assert.deepEqual(withoutSplitCharacter(Buffer.from('a€').subarray(0, 3)), bytes(0x61));
    assert.deepEqual(withoutSplitCharacter(Buffer.from('aé').subarray(0, 2)), bytes(0x61));
  });

  it('leaves bytes that are not UTF-8 to be told apart as such', () => {
    const stray = bytes(0x61, 0x80, 0x80, 0x80, 0x80);
    assert.deepEqual(withoutSplitCharacter(stray), stray);
  });
});

describe('shownValue', () => {
  it('shows a UTF-8 value as the same characters, markup and quotes included', () => {
    const text = '{"businessName":"<script>alert(\'x\')</script> \\u0000 «Élise»"}\n';
    const value = Buffer.from(text);
    assert.deepEqual(shownValue(value, value.length), { text, hexPrefix: null, truncated: false });
  });

  it('shows the first 256 bytes as hex of a value that is not UTF-8', () => {
    const value = Buffer.alloc(300, 0xff);
    const shown = shownValue(value, value.length);
    assert.equal(shown.text, null);
    assert.equal(shown.hexPrefix, 'ff'.repeat(256));
    assert.equal(shown.truncated, false);
    assert.equal(shownValue(bytes(0xc3, 0x28), 2).hexPrefix, 'c328');
  });

  it('shows the first 64 KiB of a longer value, without the character the cut split', () => {
    const value = Buffer.from('€'.repeat(30_000));
    const shown = shownValue(value.subarray(0, TENANT_LOOKUP_SHOWN_BYTES), value.length);
    assert.equal(shown.truncated, true);
    assert.equal(shown.text, '€'.repeat(Math.floor(TENANT_LOOKUP_SHOWN_BYTES / 3)));
    // Read beyond what is shown (a larger maxValueBytes), the same bytes are shown.
    assert.deepEqual(shownValue(value, value.length), shown);
  });

  it('reads at least what it shows, and all a migration would read', () => {
    assert.equal(lookupReadBytes(1024), TENANT_LOOKUP_SHOWN_BYTES);
    assert.equal(lookupReadBytes(1_000_000), 1_000_000);
  });
});

describe('keyspaceEntryOf', () => {
  const inspected = (over: Partial<Parameters<typeof keyspaceEntryOf>[1]> = {}) => ({
    type: 'string',
    ttlMs: null,
    bytes: 3,
    head: Buffer.from('abc'),
    ...over,
  });

  it('gives the classifier what the keyspace reader would have found', () => {
    assert.deepEqual(keyspaceEntryOf('k', inspected(), 10), {
      key: 'k',
      kind: 'value',
      value: Buffer.from('abc'),
    });
    assert.deepEqual(keyspaceEntryOf('k', inspected({ bytes: 11, head: Buffer.alloc(11) }), 10), {
      key: 'k',
      kind: 'too-large',
      size: 11,
    });
    assert.deepEqual(
      keyspaceEntryOf('k', inspected({ type: 'hash', bytes: null, head: null }), 10),
      {
        key: 'k',
        kind: 'wrong-type',
        type: 'hash',
      },
    );
  });
});

describe('lookupStateOf', () => {
  const state = (inRedis: boolean, validInRedis: boolean, inPostgres: boolean, differs = false) =>
    lookupStateOf({ inRedis, validInRedis, inPostgres, differs });

  it('names the states of the integrity check, and none for a tenant in neither store', () => {
    assert.equal(state(true, true, true), 'matching');
    assert.equal(state(true, true, true, true), 'different');
    assert.equal(state(true, true, false), 'only-in-redis');
    assert.equal(state(false, false, true), 'only-in-postgres');
    assert.equal(state(true, false, true), 'invalid-in-redis');
    assert.equal(state(true, false, false), 'invalid-in-redis');
    assert.equal(state(false, false, false), null);
  });
});
