import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedEntry } from './redis-entries.js';
import { RedisRestorer, type RestoreTarget } from './redis-restorer.js';
import { backupLine } from './backup-line.spec-fixture.js';

/** An in-memory Redis for RESTORE: BUSYKEY for a key that exists unless REPLACE. */
class FakeTarget implements RestoreTarget {
  readonly keys = new Map<string, { type: string; dump: Buffer; expiresAt: number | null }>();
  readonly restored: string[] = [];

  restore(entries: readonly DecodedEntry[], replace: boolean): Promise<(Error | null)[]> {
    return Promise.resolve(
      entries.map((e) => {
        const name = e.key.toString('utf8');
        if (this.keys.has(name) && !replace)
          return new Error('BUSYKEY Target key name already exists.');
        this.keys.set(name, { type: e.type, dump: e.dump, expiresAt: e.expiresAt });
        this.restored.push(name);
        return null;
      }),
    );
  }

  sameAsLive(entries: readonly DecodedEntry[]): Promise<(boolean | null)[]> {
    return Promise.resolve(
      entries.map((e) => {
        const live = this.keys.get(e.key.toString('utf8'));
        if (!live) return null;
        return live.type === e.type && live.dump.equals(e.dump);
      }),
    );
  }
}

const restore = async (
  target: FakeTarget,
  lines: string[],
  { dryRun = false, overwrite = false } = {},
): Promise<RedisRestorer['report']> => {
  const restorer = new RedisRestorer(target, dryRun, overwrite);
  for (const l of lines) await restorer.add(l);
  await restorer.flush();
  return restorer.report;
};

describe('RedisRestorer', () => {
  it('counts a key whose expiry has passed as expired and never restores it', async () => {
    const target = new FakeTarget();
    const report = await restore(target, [
      backupLine('gone', 'a', Date.now() - 1),
      backupLine('alive', 'b', Date.now() + 60_000),
      backupLine('plain', 'c'),
    ]);
    assert.deepEqual([report.entries, report.restored, report.expired], [3, 2, 1]);
    assert.deepEqual(report.samples, [{ key: 'gone', outcome: 'expired' }]);
    assert.deepEqual(target.restored, ['alive', 'plain']);
  });

  it('restores with the absolute expiry of the backup', async () => {
    const target = new FakeTarget();
    const expiresAt = Date.now() + 60_000;
    await restore(target, [backupLine('alive', 'b', expiresAt)]);
    assert.equal(target.keys.get('alive')?.expiresAt, expiresAt);
  });

  it('leaves an equal key unchanged and a different one alone as a conflict', async () => {
    const target = new FakeTarget();
    target.keys.set('same', { type: 'string', dump: Buffer.from('a'), expiresAt: null });
    target.keys.set('other', { type: 'string', dump: Buffer.from('changed'), expiresAt: null });
    const report = await restore(target, [backupLine('same', 'a'), backupLine('other', 'b')]);
    assert.deepEqual([report.restored, report.unchanged, report.conflicts], [0, 1, 1]);
    assert.deepEqual(report.samples, [{ key: 'other', outcome: 'conflict' }]);
    assert.equal(target.keys.get('other')?.dump.toString(), 'changed');
  });

  it('replaces a different key with overwrite', async () => {
    const target = new FakeTarget();
    target.keys.set('other', { type: 'string', dump: Buffer.from('changed'), expiresAt: null });
    const report = await restore(target, [backupLine('other', 'b')], { overwrite: true });
    assert.deepEqual([report.conflicts, report.overwritten], [0, 1]);
    assert.equal(target.keys.get('other')?.dump.toString(), 'b');
  });

  it('writes nothing in a dry run, and counts what it would do', async () => {
    const target = new FakeTarget();
    target.keys.set('other', { type: 'string', dump: Buffer.from('changed'), expiresAt: null });
    const report = await restore(
      target,
      [backupLine('new', 'a'), backupLine('other', 'b'), backupLine('gone', 'c', Date.now() - 1)],
      { dryRun: true, overwrite: true },
    );
    assert.deepEqual(
      [report.restored, report.overwritten, report.expired, report.dryRun],
      [1, 1, 1, true],
    );
    assert.deepEqual(target.restored, []);
  });

  it('passes on an error other than BUSYKEY', async () => {
    const target = new FakeTarget();
    target.restore = () =>
      Promise.resolve([new Error('ERR DUMP payload version or checksum are wrong')]);
    await assert.rejects(restore(target, [backupLine('bad', 'a')]), /checksum are wrong/);
  });
});
