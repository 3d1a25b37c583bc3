import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeenKeySet } from './seen-key-set.js';

describe('SeenKeySet', () => {
  it('reports first sightings and repeats', () => {
    const sut = new SeenKeySet(4);
    assert.equal(sut.add('subdomain:a'), true);
    assert.equal(sut.add('subdomain:b'), true);
    assert.equal(sut.add('subdomain:a'), false);
    assert.equal(sut.size, 2);
  });

  it('keeps every key distinct across growth (200k keys, no false repeats)', () => {
    const sut = new SeenKeySet(16);
    for (let i = 0; i < 200_000; i++) assert.equal(sut.add(`subdomain:t${i.toString(36)}-${i % 977}`), true);
    assert.equal(sut.size, 200_000);
    for (let i = 0; i < 200_000; i += 997) assert.equal(sut.add(`subdomain:t${i.toString(36)}-${i % 977}`), false);
  });

  it('tells apart keys that differ only in character order or length', () => {
    const sut = new SeenKeySet();
    for (const k of ['ab', 'ba', 'a', 'aa', '', '🍕', '🍕🍕']) assert.equal(sut.add(k), true, k);
  });
});
