import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FINGERPRINT_BYTES, SeenKeySet } from './seen-key-set.js';

describe('SeenKeySet', () => {
  it('reports first sightings and repeats', () => {
    const sut = new SeenKeySet(undefined, '', 4);
    assert.equal(sut.add('subdomain:a'), true);
    assert.equal(sut.add('subdomain:b'), true);
    assert.equal(sut.add('subdomain:a'), false);
    assert.equal(sut.has('subdomain:b'), true);
    assert.equal(sut.has('subdomain:c'), false);
    assert.equal(sut.size, 2);
  });

  it('keeps every key distinct across growth (200k keys, no false repeats)', () => {
    const sut = new SeenKeySet(undefined, 'subdomain:', 16);
    for (let i = 0; i < 200_000; i++)
      assert.equal(sut.add(`subdomain:t${i.toString(36)}-${i % 977}`), true);
    assert.equal(sut.size, 200_000);
    for (let i = 0; i < 200_000; i += 997)
      assert.equal(sut.add(`subdomain:t${i.toString(36)}-${i % 977}`), false);
  });

  it('tells apart keys that differ only in character order, length, or the shared prefix', () => {
    const sut = new SeenKeySet(undefined, 'p:');
    for (const k of [
      'ab',
      'ba',
      'a',
      'aa',
      '',
      '🍕',
      '🍕🍕',
      'p:',
      'p:a',
      'a\0',
      '\0a',
      'p:p:a',
      'x'.repeat(70_000),
      'x'.repeat(70_000 - 65_536),
    ]) {
      assert.equal(sut.add(k), true, JSON.stringify(k.slice(0, 10)));
    }
  });

  it('gives keys other fingerprints under another secret: names crafted against one run do not carry over', () => {
    const keys = ['subdomain:a', 'subdomain:b', 'subdomain:shop-1'];
    const one = new SeenKeySet(randomBytes(16)).fingerprintsOf(keys);
    const other = new SeenKeySet(randomBytes(16)).fingerprintsOf(keys);
    assert.equal(one.length, keys.length * FINGERPRINT_BYTES);
    for (let i = 0; i < keys.length; i++) {
      assert.notDeepEqual(one.subarray(i * 16, i * 16 + 16), other.subarray(i * 16, i * 16 + 16));
    }
  });

  it('recognises keys from stored fingerprints made with the same secret (a resumed run)', () => {
    const secret = randomBytes(16);
    const before = new SeenKeySet(secret, 'subdomain:');
    const accounted = Array.from({ length: 5_000 }, (_, i) => `subdomain:k${i}`);
    const stored = before.fingerprintsOf(accounted);
    const after = new SeenKeySet(secret, 'subdomain:');
    after.addFingerprints(stored);
    assert.equal(after.size, accounted.length);
    for (const key of accounted) assert.equal(after.add(key), false, key);
    assert.equal(after.add('subdomain:new'), true);
    assert.throws(() => after.addFingerprints(Buffer.alloc(15)), RangeError);
  });

  it('refuses a secret of the wrong size', () => {
    assert.throws(() => new SeenKeySet(Buffer.alloc(8)), RangeError);
  });
});
