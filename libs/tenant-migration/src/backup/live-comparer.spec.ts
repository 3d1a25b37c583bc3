import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedEntry } from './redis-entries.js';
import { LiveComparer, type LiveSource } from './live-comparer.js';
import { backupLine } from './backup-line.spec-fixture.js';

/** Live Redis as a map of key to value and TTL (ms, -1 for none). */
class FakeLive implements LiveSource {
  constructor(readonly keys: Map<string, { value: string; pttl: number }>) {}

  sameAsLive(entries: readonly DecodedEntry[]): Promise<(boolean | null)[]> {
    return Promise.resolve(
      entries.map((e) => {
        const live = this.keys.get(e.key.toString('utf8'));
        return live ? live.value === e.dump.toString('utf8') : null;
      }),
    );
  }

  remainingTtls(keys: readonly Buffer[]): Promise<number[]> {
    return Promise.resolve(keys.map((k) => this.keys.get(k.toString('utf8'))?.pttl ?? -2));
  }

  async *keysUnder(): AsyncGenerator<Buffer[]> {
    await Promise.resolve();
    yield [...this.keys.keys()].map((k) => Buffer.from(k));
  }
}

describe('LiveComparer', () => {
  it('tells unchanged, changed (value or TTL presence), missing and extra keys apart', async () => {
    const live = new FakeLive(
      new Map([
        ['same', { value: 'a', pttl: -1 }],
        ['edited', { value: 'changed', pttl: -1 }],
        ['ttl-lost', { value: 'c', pttl: -1 }],
        ['ttl', { value: 'd', pttl: 50_000 }],
        ['new', { value: 'e', pttl: -1 }],
      ]),
    );
    const comparer = new LiveComparer(live);
    const later = Date.now() + 60_000;
    for (const l of [
      backupLine('same', 'a'),
      backupLine('edited', 'b'),
      backupLine('ttl-lost', 'c', later),
      backupLine('ttl', 'd', later),
      backupLine('deleted', 'x'),
    ])
      await comparer.compare(l);
    const report = await comparer.finish('', { keys: () => live.keysUnder() });
    assert.deepEqual(
      [report.unchanged, report.changed, report.missing, report.extra],
      [2, 2, 1, 1],
    );
    assert.deepEqual(report.samples.map((s) => `${s.state}:${s.key}`).sort(), [
      'changed:edited',
      'changed:ttl-lost',
      'extra:new',
      'missing:deleted',
    ]);
  });
});
