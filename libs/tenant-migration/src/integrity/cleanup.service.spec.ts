import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import {
  BackupNotFoundError,
  CleanupRefusedError,
  InvalidBackupError,
  OperationStoppedError,
  StoreUnavailableError,
} from '../errors/index.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { RedisTenantKeysRepository } from '../source/redis-tenant-keys.repository.js';
import type { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { BackupEntity } from '../backup/backup.entity.js';
import type { BackupService } from '../backup/backup.service.js';
import type { BackupVerifyReport, RedisBackupEntry } from '../backup/backup.types.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import type { CleanedUpKey, CleanupRepository } from './cleanup.repository.js';
import { CleanupBackupGate, type CleanupBackup } from './cleanup-backup.gate.js';
import { CleanupBatch } from './cleanup-batch.js';
import { CleanupService } from './cleanup.service.js';
import { emptyBatch, fake, recordingLock } from './integrity.spec-fakes.js';
import { cleanupCheckpointOf, type CleanupRequest, type CleanupResult } from './cleanup.types.js';

const PREFIX = 't:';
const OPTIONS = { keyPrefix: PREFIX } as ResolvedTenantMigrationOptions;
const BACKUP: CleanupBackup = { id: 'b-1', path: '/backups/b-1.ndjson.gz', entryCount: 8 };
const dumpOf = (value: string): Buffer => Buffer.from(`dump:${value}`);

/**
 * Redis, PostgreSQL and a backup held in memory. A Redis value `bad` is an invalid record;
 * any other value of key `t:<name>` is tenant `<name>` with that value as its hash, and equals
 * its PostgreSQL row when `postgres` holds the same value for it.
 */
class FakeStores {
  readonly redis = new Map<string, string>();
  readonly postgres = new Map<string, string>();
  readonly backup: RedisBackupEntry[] = [];
  readonly recorded: { cleaned: CleanedUpKey[]; backupId: string }[] = [];
  readonly deleteCalls: string[][] = [];
  readonly locks: string[] = [];
  /** Runs just before the compare-and-delete pipeline (a concurrent writer). */
  beforeDelete: () => void = () => undefined;

  /** Sets a key in Redis and backs it up as it is now. */
  backedUp(name: string, value: string, type = 'string'): void {
    this.redis.set(PREFIX + name, value);
    this.backup.push({
      k: Buffer.from(PREFIX + name).toString('base64'),
      t: type,
      e: null,
      d: dumpOf(value).toString('base64'),
    });
  }

  readonly redisKeys = fake<RedisTenantKeysRepository>({
    live: (keys) =>
      Promise.resolve(
        keys.map((key) => {
          const value = this.redis.get(key.toString());
          return value === undefined
            ? { dump: null, value: null }
            : { dump: dumpOf(value), value: Buffer.from(value) };
        }),
      ),
    compareAndDelete: (entries) => {
      this.beforeDelete();
      this.deleteCalls.push(entries.map((e) => e.key));
      return Promise.resolve(
        entries.map(({ key, value }) => {
          if (this.redis.get(key) !== value.toString()) return false;
          this.redis.delete(key);
          return true;
        }),
      );
    },
  });

  readonly classifier = fake<KeyspaceClassifier>({
    classify: ({ entries }) => {
      const batch = emptyBatch(entries);
      for (const entry of entries) {
        if (entry.kind !== 'value')
          throw new Error(`cleanup classifies values only: ${entry.kind}`);
        const value = entry.value.toString();
        if (value === 'bad')
          batch.exceptions.push({ key: entry.key, bucket: 'rejected', reasons: [] });
        else {
          const record = { subdomain: entry.key.slice(PREFIX.length), sourceHash: value };
          batch.candidates.push({ key: entry.key, record: record as TenantRecord, notes: [] });
        }
      }
      return Promise.resolve(batch);
    },
  });

  readonly store = fake<CleanupRepository>({
    prepare: () => Promise.resolve(),
    compare: (_client, staged) =>
      Promise.resolve(
        staged
          .filter((s) => this.postgres.has(s.record.subdomain))
          .map((s) => ({
            key: s.key,
            differs: this.postgres.get(s.record.subdomain) !== s.record.sourceHash,
          })),
      ),
    recordCleanups: (_client, cleaned, backupId) => {
      this.recorded.push({ cleaned: [...cleaned], backupId });
      return Promise.resolve();
    },
  });

  readonly sessions = fake<PostgresSessionFactory>({
    open: () =>
      Promise.resolve({
        client: {} as PoolClient,
        release: () => Promise.resolve(),
        discard: () => Promise.resolve(),
      }),
    transaction: (_client, work) => work(),
  });

  /** The Redis keys under the prefix, in one batch. */
  async *keysUnder(prefix: string): AsyncGenerator<Buffer[]> {
    await Promise.resolve();
    yield [...this.redis.keys()].filter((k) => k.startsWith(prefix)).map((k) => Buffer.from(k));
  }

  cleanup(request: CleanupRequest, gate: Partial<CleanupBackupGate> = {}) {
    const service = new CleanupService(
      OPTIONS,
      fake<CleanupBackupGate>({
        verifiedBackup: () => Promise.resolve(BACKUP),
        entries: async (_backup, onEntry) => {
          for (const entry of this.backup) await onEntry(entry);
        },
        ...gate,
      }),
      new CleanupBatch(this.redisKeys, this.classifier, this.sessions, this.store),
      fake<RedisKeyspaceReader>({ keys: (prefix) => this.keysUnder(prefix) }),
      this.sessions,
      fake<AuditRepository>({ around: (_entry, operation) => operation() }),
      recordingLock(this.locks),
    );
    return service.cleanup(request);
  }
}

/** A backup of eight keys, then changes that leave exactly one of them safe to delete. */
const everyReason = (): FakeStores => {
  const stores = new FakeStores();
  stores.backedUp('salon', 'v1');
  stores.postgres.set('salon', 'v1'); // equal in PostgreSQL: deleted
  stores.backedUp('queue', 'v1', 'list'); // not a string
  stores.backedUp('pizza', 'v1');
  stores.postgres.set('pizza', 'v1');
  stores.redis.set('t:pizza', 'v2'); // changed since the backup
  stores.backedUp('broken', 'bad'); // an invalid record
  stores.backedUp('gelato', 'v1'); // no tenant in PostgreSQL
  stores.backedUp('tacos', 'v1');
  stores.postgres.set('tacos', 'v9'); // drifted
  stores.backedUp('gone', 'v1');
  stores.redis.delete('t:gone'); // already gone from Redis
  stores.redis.set('t:bagel', 'v1'); // written after the backup
  stores.postgres.set('bagel', 'v1');
  return stores;
};

describe('CleanupService: what cleanup keeps and why', () => {
  it('deletes only the key proven safe, and keeps every other with its reason', async () => {
    const stores = everyReason();
    const result = await stores.cleanup({ dryRun: false });
    assert.deepEqual(result.keptByReason, {
      'not-a-string': 1,
      'changed-since-backup': 1,
      'invalid-record': 1,
      'not-in-postgres': 1,
      drifted: 1,
      'not-in-backup': 1,
    });
    assert.deepEqual(
      [result.backupId, result.examined, result.deleted, result.kept, result.alreadyGone],
      ['b-1', 7, 1, 6, 1],
    );
    assert.deepEqual(
      [...stores.redis.keys()].sort(),
      ['t:bagel', 't:broken', 't:gelato', 't:pizza', 't:queue', 't:tacos'],
      'only salon was deleted',
    );
    assert.deepEqual(stores.recorded, [
      { cleaned: [{ key: 't:salon', subdomain: 'salon', sourceHash: 'v1' }], backupId: 'b-1' },
    ]);
    assert.deepEqual(
      result.samples.find((s) => s.key === 't:pizza'),
      { key: 't:pizza', outcome: 'kept', reason: 'changed-since-backup' },
    );
    assert.deepEqual(
      result.samples.find((s) => s.key === 't:salon'),
      {
        key: 't:salon',
        outcome: 'deleted',
      },
    );
    assert.deepEqual(stores.locks, ['cleanup']);
  });

  it('previews by default: counts what it would delete, deletes and records nothing, takes no lock', async () => {
    const stores = everyReason();
    const before = new Map(stores.redis);
    const result = await stores.cleanup({});
    assert.deepEqual([result.dryRun, result.deleted, result.kept], [true, 1, 6]);
    assert.deepEqual(stores.redis, before);
    assert.deepEqual(stores.deleteCalls, []);
    assert.deepEqual(stores.recorded, []);
    assert.deepEqual(stores.locks, []);
  });

  it('keeps a key written between the comparison and its deletion, and does not record it', async () => {
    const stores = new FakeStores();
    for (const name of ['pizza', 'salon']) {
      stores.backedUp(name, 'v1');
      stores.postgres.set(name, 'v1');
    }
    stores.beforeDelete = () => stores.redis.set('t:pizza', 'v3');
    const result = await stores.cleanup({ dryRun: false });
    assert.deepEqual(stores.deleteCalls, [['t:pizza', 't:salon']]);
    assert.deepEqual([result.deleted, result.keptByReason], [1, { 'changed-during-cleanup': 1 }]);
    assert.equal(stores.redis.get('t:pizza'), 'v3', 'the concurrent write survives');
    assert.deepEqual(
      stores.recorded.flatMap((r) => r.cleaned.map((c) => c.key)),
      ['t:salon'],
    );
  });

  it('examines a large backup in batches of a thousand', async () => {
    const stores = new FakeStores();
    for (let i = 0; i < 2500; i++) {
      stores.backedUp(`shop${i}`, 'v1');
      stores.postgres.set(`shop${i}`, 'v1');
    }
    const result = await stores.cleanup({ dryRun: false });
    assert.deepEqual(
      stores.deleteCalls.map((keys) => keys.length),
      [1000, 1000, 500],
    );
    assert.deepEqual([result.examined, result.deleted, result.kept], [2500, 2500, 0]);
    assert.equal(result.samples.length, 50, 'samples are capped');
    assert.equal(stores.redis.size, 0);
  });

  it('reports 0 once the backup verifies, then the keys examined after each batch, of its entry count', async () => {
    const stores = new FakeStores();
    for (let i = 0; i < 2500; i++) stores.backedUp(`shop${i}`, 'v1');
    const verifyReports: [number, number | null][] = [];
    const reports: [number, number][] = [];
    await stores.cleanup(
      {
        onVerifyProgress: (entries, total) => verifyReports.push([entries, total]),
        onProgress: (examined, total) => reports.push([examined, total]),
      },
      {
        verifiedBackup: (_actor, onProgress) => {
          onProgress?.(1000, 2500);
          return Promise.resolve({ ...BACKUP, entryCount: 2500 });
        },
      },
    );
    assert.deepEqual(verifyReports, [[1000, 2500]], 'the gate hears the verification callback');
    assert.deepEqual(reports, [
      [0, 2500],
      [1000, 2500],
      [2000, 2500],
      [2500, 2500],
    ]);
  });

  it('deletes nothing when the backup is refused', async () => {
    const stores = everyReason();
    const before = new Map(stores.redis);
    const refused = new CleanupRefusedError('backup b-1 no longer verifies: altered', {});
    await assert.rejects(
      stores.cleanup({ dryRun: false }, { verifiedBackup: () => Promise.reject(refused) }),
      refused,
    );
    assert.deepEqual(stores.redis, before);
    assert.deepEqual([stores.deleteCalls, stores.recorded], [[], []]);
  });
});

describe('CleanupService: stopped midway, and continued', () => {
  /** 2,500 keys safe to delete, and one written after the backup. */
  const large = (): FakeStores => {
    const stores = new FakeStores();
    for (let i = 0; i < 2500; i++) {
      stores.backedUp(`shop${i}`, 'v1');
      stores.postgres.set(`shop${i}`, 'v1');
    }
    stores.redis.set('t:late', 'v1');
    return stores;
  };
  const BIG = { ...BACKUP, entryCount: 2500 };
  const stopped = async (run: Promise<unknown>): Promise<OperationStoppedError> => {
    const error: unknown = await run.then(
      () => assert.fail('the cleanup ran to its end'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof OperationStoppedError, String(error));
    return error;
  };
  /**
   * Runs a deleting cleanup of `stores` that is asked to stop (`reason`) while its first batch
   * deletes; its OperationStoppedError. The stores delete as usual afterwards.
   */
  const stopAtFirstDeletion = async (
    stores: FakeStores,
    reason: 'cancel' | 'pause' | 'shutdown',
    gate: Partial<CleanupBackupGate> = { verifiedBackup: () => Promise.resolve(BIG) },
  ): Promise<OperationStoppedError> => {
    const controller = new AbortController();
    stores.beforeDelete = () => controller.abort(reason);
    try {
      return await stopped(stores.cleanup({ dryRun: false, signal: controller.signal }, gate));
    } finally {
      stores.beforeDelete = () => undefined;
    }
  };
  /** What two results say, apart from how long they took. */
  const counts = ({ durationMs: _durationMs, ...rest }: CleanupResult) => rest;

  it('a pause after the first batch keeps the examined entries; the continuation examines the rest once and ends where an uninterrupted cleanup ends', async () => {
    const whole = await large().cleanup(
      { dryRun: false },
      { verifiedBackup: () => Promise.resolve(BIG) },
    );
    const stores = large();
    const error = await stopAtFirstDeletion(stores, 'pause');
    assert.equal(error.reason, 'pause');
    assert.deepEqual(error.context, { examined: 1000, deleted: 1000, kept: 0, reason: 'pause' });
    const checkpoint = cleanupCheckpointOf(error.checkpoint);
    assert.ok(checkpoint, JSON.stringify(error.checkpoint));
    assert.deepEqual([checkpoint.backupId, checkpoint.entries], ['b-1', 1000]);
    assert.equal(stores.redis.size, 1501, 'the first batch was deleted');

    const pinned: (string | undefined)[] = [];
    const result = await stores.cleanup(
      { dryRun: false, resumeFrom: checkpoint },
      {
        verifiedBackup: (_actor, _onProgress, id) => {
          pinned.push(id);
          return Promise.resolve(BIG);
        },
      },
    );
    assert.deepEqual(pinned, ['b-1'], 'the continuation relies on the same backup');
    assert.deepEqual(counts(result), counts(whole));
    assert.deepEqual(
      stores.deleteCalls.map((keys) => keys.length),
      [1000, 1000, 500],
      'no key examined twice',
    );
    assert.deepEqual([...stores.redis.keys()], ['t:late']);
  });

  it('a pause in the last pass (keys the backup lacks) begins that pass again: each such key is counted once', async () => {
    const whole = await everyReason().cleanup({ dryRun: false });
    const stores = everyReason();
    // The one batch's deletion: the next check is the last pass's.
    const error = await stopAtFirstDeletion(stores, 'shutdown', {});
    const checkpoint = cleanupCheckpointOf(error.checkpoint);
    assert.ok(checkpoint);
    assert.equal(checkpoint.entries, 7);
    assert.equal(checkpoint.result.keptByReason['not-in-backup'], undefined);
    const result = await stores.cleanup({ dryRun: false, resumeFrom: checkpoint });
    assert.deepEqual(counts(result), counts(whole));
    assert.equal(stores.deleteCalls.length, 1, 'the deleted key was not examined again');
  });

  it('a cancel stops before the next batch with the counts so far and no checkpoint', async () => {
    const stores = large();
    const error = await stopAtFirstDeletion(stores, 'cancel');
    assert.equal(error.reason, 'cancel');
    assert.equal(error.checkpoint, null);
    assert.equal(error.context.deleted, 1000);
    assert.equal(stores.redis.size, 1501);
  });

  it('reads back only a checkpoint of its own shape', () => {
    const result = {
      dryRun: false,
      backupId: 'b-1',
      examined: 2,
      deleted: 1,
      alreadyGone: 0,
      kept: 1,
      keptByReason: { drifted: 1 },
      samples: [{ key: 't:a', outcome: 'deleted' }],
    };
    const good = { backupId: 'b-1', entries: 2, result };
    assert.deepEqual(cleanupCheckpointOf(good), good);
    for (const bad of [
      null,
      { ...good, entries: -1 },
      { ...good, backupId: 7 },
      { ...good, result: { ...result, backupId: 'b-2' } },
      { ...good, result: { ...result, deleted: '1' } },
      { ...good, result: { ...result, keptByReason: { bogus: 1 } } },
      { ...good, result: { ...result, samples: [{ key: 't:a', outcome: 'gone' }] } },
      { path: '/backups/x.partial', backupId: 'b-1', cursor: '0' },
    ])
      assert.equal(cleanupCheckpointOf(bad), null, JSON.stringify(bad));
  });
});

describe('CleanupBackupGate: the backup a cleanup relies on', () => {
  const RECORD = { id: 'b-1', path: '/backups/b-1.ndjson.gz' } as BackupEntity;
  const gate = (
    verify: BackupService['verify'],
    newest: BackupEntity | null = RECORD,
  ): { gate: CleanupBackupGate; prefixes: string[] } => {
    const prefixes: string[] = [];
    return {
      gate: new CleanupBackupGate(
        OPTIONS,
        fake<CleanupRepository>({
          newestVerifiedBackup: (prefix) => {
            prefixes.push(prefix);
            return Promise.resolve(newest);
          },
        }),
        fake<BackupService>({ verify }),
      ),
      prefixes,
    };
  };
  const report = (ok: boolean, problems: string[] = []) =>
    Promise.resolve({ ok, problems } as unknown as BackupVerifyReport);

  it('takes the newest verified backup of the prefix once its file verifies again', async () => {
    const asked: [string, { live?: boolean; actor?: string } | undefined][] = [];
    const { gate: g, prefixes } = gate((ref, options) => {
      asked.push([ref, options]);
      return report(true);
    });
    assert.equal(await g.verifiedBackup('cli:tester'), RECORD);
    assert.deepEqual(
      [prefixes, asked],
      [['t:'], [['b-1', { actor: 'cli:tester', onProgress: undefined }]]],
    );
  });

  it('refuses without a verified backup', async () => {
    await assert.rejects(
      gate(() => report(true), null).gate.verifiedBackup(undefined),
      (e: unknown) =>
        e instanceof CleanupRefusedError &&
        e.message ===
          'no verified backup of "t:": run `backup`, then `backup verify <id>`, then cleanup',
    );
  });

  it('refuses a backup whose file no longer verifies, with its problems', async () => {
    const problems = ['the checksum does not match: the file was altered', 'line 3: damaged'];
    await assert.rejects(
      gate(() => report(false, problems)).gate.verifiedBackup(undefined),
      (e: unknown) =>
        e instanceof CleanupRefusedError &&
        e.message ===
          'backup b-1 no longer verifies: the checksum does not match: the file was altered; line 3: damaged',
    );
  });

  it('refuses a backup whose file is gone or unreadable, keeping the cause', async () => {
    for (const cause of [
      new BackupNotFoundError('no backup file at /backups/b-1.ndjson.gz', {}),
      new InvalidBackupError('/backups/b-1.ndjson.gz is a folder', {}),
    ]) {
      await assert.rejects(
        gate(() => Promise.reject(cause)).gate.verifiedBackup(undefined),
        (e: unknown) =>
          e instanceof CleanupRefusedError &&
          e.message === `backup b-1 no longer verifies: ${cause.message}` &&
          e.cause === cause,
      );
    }
  });

  it('passes any other failure on as it is', async () => {
    const down = new StoreUnavailableError('PostgreSQL is unavailable', {});
    await assert.rejects(gate(() => Promise.reject(down)).gate.verifiedBackup(undefined), down);
  });
});
