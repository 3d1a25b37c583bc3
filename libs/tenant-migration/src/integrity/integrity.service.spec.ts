import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import type { KeyspaceBatch, KeyspaceEntry } from '../source/keyspace-entry.js';
import type { KeyspaceScanOptions, RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { KeyspaceClassifier, PreparedBatch } from '../migration/keyspace-classifier.js';
import type { ExceptionRow, StagedTenant } from '../migration/tenant-merge.types.js';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { legacyRecord } from '../tenants/tenant-record.spec-fixture.js';
import {
  OperationStoppedError,
  SchemaMissingError,
  StoreUnavailableError,
} from '../errors/index.js';
import { ScanState, type ScanStateSnapshot } from '../migration/scan-state.js';
import { integrityCheckpointOf } from './integrity-checkpoint.js';
import type {
  DriftCounts,
  IntegrityComparisonRepository,
  OwnershipConflict,
} from './integrity-comparison.repository.js';
import type { TenantDrift } from './integrity.types.js';
import { IntegrityService } from './integrity.service.js';
import { emptyBatch } from './integrity.spec-fakes.js';

const PREFIX = 'tenant:';
/** The session's client: the fakes never use it, they only pass it along. */
const CLIENT = {} as PoolClient;

const recordOf = (subdomain: string): TenantRecord =>
  legacyRecord({
    id: `id-${subdomain}`,
    subdomain,
    emoji: '🍕',
    createdAt: 1700000000000,
    sourceHash: `hash-${subdomain}`,
  });

/** A value the fake classifier rejects. */
const BAD = Buffer.from('not json');
const valid = (name: string): KeyspaceEntry => ({
  key: `${PREFIX}${name}`,
  kind: 'value',
  value: Buffer.from('{}'),
});
const bad = (name: string): KeyspaceEntry => ({
  key: `${PREFIX}${name}`,
  kind: 'value',
  value: BAD,
});
const vanished = (name: string): KeyspaceEntry => ({ key: `${PREFIX}${name}`, kind: 'vanished' });

/** Yields the scripted batches, in order. */
class FakeReader implements Pick<RedisKeyspaceReader, 'batches'> {
  constructor(private readonly script: KeyspaceEntry[][]) {}

  /** Continues after the batch whose cursor `resumeFrom` holds (cursor n: n batches read). */
  async *batches(options?: KeyspaceScanOptions): AsyncGenerator<KeyspaceBatch> {
    const from = Number(options?.resumeFrom?.cursor ?? 0);
    for (const [i, entries] of this.script.entries()) {
      if (i < from) continue;
      await Promise.resolve();
      yield { cursor: String(i + 1), server: null, fence: null, passedOver: 0, entries };
    }
  }
}

/** Vanished keys are skipped, `BAD` values rejected, every other value a valid tenant. */
class FakeClassifier implements Pick<KeyspaceClassifier, 'classify'> {
  classify(batch: Pick<KeyspaceBatch, 'entries'>): Promise<PreparedBatch> {
    const candidates: PreparedBatch['candidates'] = [];
    const exceptions: ExceptionRow[] = [];
    for (const entry of batch.entries) {
      if (entry.kind === 'vanished')
        exceptions.push({
          key: entry.key,
          bucket: 'skipped',
          reasons: [{ code: 'vanished', message: 'gone' }],
        });
      else if (entry.kind === 'value' && entry.value.equals(BAD))
        exceptions.push({
          key: entry.key,
          bucket: 'rejected',
          reasons: [{ code: 'invalid-json', message: 'not JSON' }],
        });
      else
        candidates.push({
          key: entry.key,
          record: recordOf(entry.key.slice(PREFIX.length)),
          notes: [],
        });
    }
    return Promise.resolve({ ...emptyBatch(batch.entries), candidates, exceptions });
  }
}

/** Runs the work on `CLIENT`; remembers how the transaction ended and whether it was released. */
class FakeSessions implements Pick<
  PostgresSessionFactory,
  'withSession' | 'assertSchema' | 'transaction'
> {
  schemaError: Error | undefined;
  transactionEnded: 'not begun' | 'committed' | 'rolled back' = 'not begun';
  openSessions = 0;

  async withSession<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    this.openSessions++;
    try {
      return await work(CLIENT);
    } finally {
      this.openSessions--;
    }
  }

  assertSchema(): Promise<void> {
    return this.schemaError ? Promise.reject(this.schemaError) : Promise.resolve();
  }

  async transaction<T>(_client: PoolClient, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.transactionEnded = 'committed';
      return result;
    } catch (error) {
      this.transactionEnded = 'rolled back';
      throw error;
    }
  }
}

/**
 * The comparison as PostgreSQL would answer it: what was staged and recorded invalid, the
 * ownership conflicts it finds, and the drift it holds (counted over everything, listed up to
 * the limit in the given order).
 */
class FakeComparison implements Pick<
  IntegrityComparisonRepository,
  keyof IntegrityComparisonRepository
> {
  staged: string[] = [];
  invalidKeys: string[] = [];
  conflicts: OwnershipConflict[] = [];
  drift: TenantDrift[] = [];
  postgresTenants = 0;
  cleanedUp = 0;
  /** Thrown by `listDrift`, when set. */
  listError: Error | undefined;
  /** Thrown by `stage`, when set. */
  stageError: Error | undefined;

  /** What `suspend` kept, by name. */
  readonly kept = new Map<
    string,
    { staged: string[]; invalidKeys: string[]; snapshot: ScanStateSnapshot }
  >();

  tuneSession(): Promise<void> {
    return Promise.resolve();
  }

  suspend(_client: PoolClient, parts: string, snapshot: ScanStateSnapshot): Promise<void> {
    this.kept.set(parts, {
      staged: [...this.staged],
      invalidKeys: [...this.invalidKeys],
      snapshot,
    });
    return Promise.resolve();
  }

  takeSuspended(_client: PoolClient, parts: string): Promise<ScanStateSnapshot | null> {
    const kept = this.kept.get(parts);
    if (!kept) return Promise.resolve(null);
    this.staged.push(...kept.staged);
    this.invalidKeys.push(...kept.invalidKeys);
    this.kept.delete(parts);
    return Promise.resolve(kept.snapshot);
  }

  /** When each suspension was kept (ms since the epoch); `suspend` sets now. */
  readonly suspendedAt = new Map<string, number>();

  suspendedBefore(_client: PoolClient, ms: number): Promise<string[]> {
    return Promise.resolve(
      [...this.kept.keys()].filter(
        (parts) => Date.now() - (this.suspendedAt.get(parts) ?? Date.now()) > ms,
      ),
    );
  }

  dropSuspended(_client: PoolClient, parts: string): Promise<void> {
    this.kept.delete(parts);
    return Promise.resolve();
  }

  createTables(): Promise<void> {
    this.staged = [];
    this.invalidKeys = [];
    return Promise.resolve();
  }

  stage(_client: PoolClient, records: StagedTenant[]): Promise<void> {
    if (this.stageError) return Promise.reject(this.stageError);
    this.staged.push(...records.map((r) => r.key));
    return Promise.resolve();
  }

  recordInvalid(_client: PoolClient, keys: string[]): Promise<void> {
    this.invalidKeys.push(...keys);
    return Promise.resolve();
  }

  moveOwnershipConflicts(): Promise<OwnershipConflict[]> {
    const moved = new Set(this.conflicts.map((c) => c.key));
    this.staged = this.staged.filter((key) => !moved.has(key));
    this.invalidKeys.push(...moved);
    return Promise.resolve(this.conflicts);
  }

  findDrift(): Promise<void> {
    return Promise.resolve();
  }

  countDrift(): Promise<DriftCounts> {
    const of = (kind: TenantDrift['kind']): number =>
      this.drift.filter((d) => d.kind === kind).length;
    return Promise.resolve({
      postgresTenants: this.postgresTenants,
      cleanedUp: this.cleanedUp,
      onlyInRedis: of('only-in-redis'),
      onlyInPostgres: of('only-in-postgres'),
      different: of('different'),
    });
  }

  listDrift(_client: PoolClient, limit: number): Promise<TenantDrift[]> {
    if (this.listError) return Promise.reject(this.listError);
    return Promise.resolve(limit === 0 ? this.drift : this.drift.slice(0, limit));
  }
}

const setup = (script: KeyspaceEntry[][]) => {
  const sessions = new FakeSessions();
  const comparison = new FakeComparison();
  const service = new IntegrityService(
    { keyPrefix: PREFIX, batchSize: 100, maxValueBytes: 1024 },
    new FakeReader(script),
    new FakeClassifier(),
    sessions,
    comparison,
  );
  return { service, sessions, comparison };
};

const onlyInRedis: TenantDrift = { kind: 'only-in-redis', subdomain: 'new', key: `${PREFIX}new` };
const onlyInPostgres: TenantDrift = { kind: 'only-in-postgres', subdomain: 'old', key: null };
const different: TenantDrift = {
  kind: 'different',
  subdomain: 'shop',
  key: `${PREFIX}shop`,
  fields: [{ field: 'emoji', redis: '🍕', postgres: '🍔' }],
  changedInPostgres: true,
  changedInRedis: false,
};

describe('IntegrityService.check', () => {
  it('reports a keyspace that matches PostgreSQL as consistent, and commits', async () => {
    const { service, sessions, comparison } = setup([[valid('a'), valid('b')], [valid('c')]]);
    comparison.postgresTenants = 3;
    const report = await service.check();
    assert.deepEqual(
      { ...report, durationMs: 0 },
      {
        consistent: true,
        redisKeys: 3,
        valid: 3,
        invalid: 0,
        skipped: 0,
        postgresTenants: 3,
        cleanedUp: 0,
        matching: 3,
        onlyInRedis: 0,
        onlyInPostgres: 0,
        different: 0,
        drift: [],
        truncated: false,
        invalidRecords: [],
        durationMs: 0,
      },
    );
    assert.deepEqual(comparison.staged, [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`]);
    assert.equal(sessions.transactionEnded, 'committed');
    assert.equal(sessions.openSessions, 0);
  });

  it('reports each kind of drift, and counts only the valid records in both stores as matching', async () => {
    const { service, comparison } = setup([[valid('new'), valid('shop'), valid('same')]]);
    comparison.drift = [onlyInRedis, onlyInPostgres, different];
    comparison.postgresTenants = 3;
    comparison.cleanedUp = 1;
    const report = await service.check();
    assert.equal(report.consistent, false);
    assert.deepEqual(
      [report.onlyInRedis, report.onlyInPostgres, report.different, report.matching],
      [1, 1, 1, 1],
    );
    assert.equal(report.cleanedUp, 1);
    assert.deepEqual(report.drift, [onlyInRedis, onlyInPostgres, different]);
    assert.equal(report.truncated, false);
  });

  it('lists the first `limit` drifts and says more exist, while the counts cover everything', async () => {
    const { service, comparison } = setup([[valid('new'), valid('shop')]]);
    comparison.drift = [onlyInRedis, onlyInPostgres, different];
    const report = await service.check({ limit: 2 });
    assert.deepEqual(report.drift, [onlyInRedis, onlyInPostgres]);
    assert.equal(report.truncated, true);
    assert.deepEqual([report.onlyInRedis, report.onlyInPostgres, report.different], [1, 1, 1]);
  });

  it('counts rejected records as invalid (with their reasons) and vanished keys as skipped', async () => {
    const { service, comparison } = setup([[valid('a'), bad('x'), vanished('gone')], [bad('y')]]);
    const report = await service.check();
    assert.deepEqual(
      [report.redisKeys, report.valid, report.invalid, report.skipped, report.matching],
      [4, 1, 2, 1, 1],
    );
    assert.deepEqual(report.invalidRecords, [
      { key: `${PREFIX}x`, reasons: [{ code: 'invalid-json', message: 'not JSON' }] },
      { key: `${PREFIX}y`, reasons: [{ code: 'invalid-json', message: 'not JSON' }] },
    ]);
    // Their tenants are not "only in PostgreSQL": the comparison knows the keys.
    assert.deepEqual(comparison.invalidKeys, [`${PREFIX}x`, `${PREFIX}y`]);
    assert.deepEqual(comparison.staged, [`${PREFIX}a`]);
    assert.equal(report.consistent, true);
  });

  it('sets a key whose subdomain belongs to another key apart as an invalid subdomain-conflict', async () => {
    const { service, comparison } = setup([[valid('shop'), valid('Shop2')]]);
    comparison.conflicts = [{ key: `${PREFIX}Shop2`, subdomain: 'shop2', owner: `${PREFIX}shop2` }];
    const report = await service.check();
    assert.deepEqual([report.valid, report.invalid, report.matching], [1, 1, 1]);
    assert.deepEqual(report.invalidRecords, [
      {
        key: `${PREFIX}Shop2`,
        reasons: [
          {
            code: 'subdomain-conflict',
            field: 'subdomain',
            message: `the subdomain already belongs to the tenant migrated from ${PREFIX}shop2`,
          },
        ],
      },
    ]);
    assert.deepEqual(comparison.staged, [`${PREFIX}shop`]);
  });

  it('lists at most `limit` invalid records, rejected ones first, while counting all of them', async () => {
    const { service, comparison } = setup([
      [bad('x'), bad('y')],
      [bad('z'), valid('c')],
    ]);
    comparison.conflicts = [{ key: `${PREFIX}c`, subdomain: 'c', owner: `${PREFIX}C` }];
    const limited = await service.check({ limit: 2 });
    assert.equal(limited.invalid, 4);
    assert.deepEqual(
      limited.invalidRecords.map((r) => r.key),
      [`${PREFIX}x`, `${PREFIX}y`],
    );
    const all = await service.check({ limit: 0 });
    assert.deepEqual(
      all.invalidRecords.map((r) => r.key),
      [`${PREFIX}x`, `${PREFIX}y`, `${PREFIX}z`, `${PREFIX}c`],
    );
  });

  it('tells its progress as the keys scanned so far, once a batch', async () => {
    const { service } = setup([[valid('a'), valid('b')], [vanished('c')], [bad('d'), valid('e')]]);
    const seen: number[] = [];
    await service.check({ onProgress: (scanned) => seen.push(scanned) });
    assert.deepEqual(seen, [2, 3, 5]);
  });

  it('fails with SchemaMissingError before reading anything when the schema is missing', async () => {
    const { service, sessions, comparison } = setup([[valid('a')]]);
    const missing = new SchemaMissingError('the database schema is missing');
    sessions.schemaError = missing;
    const error = await service.check().then(
      () => assert.fail('check succeeded'),
      (e: unknown) => e,
    );
    assert.equal(error, missing);
    assert.deepEqual(comparison.staged, []);
    assert.equal(sessions.transactionEnded, 'not begun');
    assert.equal(sessions.openSessions, 0);
  });

  it('passes a store failure of the comparison on unchanged and rolls the transaction back', async () => {
    const { service, sessions, comparison } = setup([[valid('a')]]);
    const lost = new StoreUnavailableError('PostgreSQL went away');
    comparison.listError = lost;
    await assert.rejects(service.check(), (e: unknown) => {
      assert.ok(e instanceof StoreUnavailableError);
      assert.equal(e, lost);
      return true;
    });
    assert.equal(sessions.transactionEnded, 'rolled back');
    assert.equal(sessions.openSessions, 0);
  });

  it('passes a failure to stage the records on unchanged', async () => {
    const { service, sessions, comparison } = setup([[valid('a')], [valid('b')]]);
    const lost = new StoreUnavailableError('COPY failed');
    comparison.stageError = lost;
    await assert.rejects(service.check(), (e: unknown) => e === lost);
    assert.equal(sessions.transactionEnded, 'rolled back');
  });
  it('a pause keeps what it staged; the continuation reads on from its cursor and reports what an uninterrupted check reports', async () => {
    const script = [[valid('a'), bad('b')], [valid('c'), vanished('d')], [valid('e')]];
    const whole = setup(script);
    whole.comparison.drift = [different];
    const expected = await whole.service.check();

    const { service, comparison, sessions } = setup(script);
    comparison.drift = [different];
    const controller = new AbortController();
    const stopped: unknown = await service
      .check({
        signal: controller.signal,
        suspendable: true,
        onProgress: (scanned) => {
          if (scanned === 2) controller.abort('pause');
        },
      })
      .catch((e: unknown) => e);
    assert.ok(stopped instanceof OperationStoppedError, String(stopped));
    assert.equal(stopped.reason, 'pause');
    assert.equal(sessions.transactionEnded, 'committed', 'the suspension commits its tables');
    const checkpoint = integrityCheckpointOf(stopped.checkpoint);
    assert.ok(checkpoint, JSON.stringify(stopped.checkpoint));
    assert.deepEqual([checkpoint.cursor, checkpoint.tally.scanned], ['1', 2]);
    assert.deepEqual([...comparison.kept.values()][0].staged, [`${PREFIX}a`]);

    const report = await service.check({ resumeFrom: checkpoint });
    assert.deepEqual({ ...report, durationMs: 0 }, { ...expected, durationMs: 0 });
    assert.deepEqual(comparison.staged, [`${PREFIX}a`, `${PREFIX}c`, `${PREFIX}e`]);
    assert.equal(comparison.kept.size, 0, 'the continuation took the tables');
  });

  it('a cancel, or a stop without suspendable, keeps nothing', async () => {
    for (const [reason, suspendable] of [
      ['cancel', true],
      ['pause', false],
    ] as const) {
      const { service, comparison } = setup([[valid('a')], [valid('c')]]);
      const controller = new AbortController();
      const stopped: unknown = await service
        .check({
          signal: controller.signal,
          suspendable,
          onProgress: () => controller.abort(reason),
        })
        .catch((e: unknown) => e);
      assert.ok(stopped instanceof OperationStoppedError);
      assert.equal(stopped.checkpoint, null);
      assert.deepEqual(stopped.context, { scanned: 1, reason });
      assert.equal(comparison.kept.size, 0);
    }
  });

  it('a checkpoint whose tables are gone starts the check again; a failed continuation drops them', async () => {
    const script = [[valid('a')], [valid('c')]];
    const { service, comparison } = setup(script);
    const gone = {
      parts: 'f'.repeat(32),
      cursor: '1',
      server: null,
      tally: { scanned: 1, valid: 1, invalid: 0, skipped: 0, invalidRecords: [] },
    };
    const report = await service.check({ resumeFrom: gone });
    assert.equal(report.redisKeys, 2, 'read from the start');

    comparison.kept.set('e'.repeat(32), {
      staged: [],
      invalidKeys: [],
      snapshot: new ScanState(PREFIX).snapshot(),
    });
    comparison.stageError = new Error('COPY failed');
    await assert.rejects(
      service.check({ resumeFrom: { ...gone, parts: 'e'.repeat(32) } }),
      /COPY failed/,
    );
    assert.equal(comparison.kept.size, 0);
  });

  it('reads back only a checkpoint of its own shape', () => {
    const tally = {
      scanned: 3,
      valid: 2,
      invalid: 1,
      skipped: 0,
      invalidRecords: [{ key: 'k', reasons: [{ code: 'x', message: 'm' }] }],
    };
    const good = { parts: 'a'.repeat(32), cursor: '17', server: 'run-1', tally };
    assert.deepEqual(integrityCheckpointOf(good), good);
    for (const bad of [
      { ...good, parts: 'a'.repeat(31) },
      { ...good, parts: `${'a'.repeat(31)};` },
      { ...good, cursor: '-1' },
      { ...good, server: 3 },
      { ...good, tally: { ...tally, scanned: 1.5 } },
      { ...good, tally: { ...tally, invalidRecords: [{ key: 'k' }] } },
    ])
      assert.equal(integrityCheckpointOf(bad), null, JSON.stringify(bad));
  });
  it('drops the suspensions no checkpoint names once past the grace, and keeps the named and the young', async () => {
    const { service, comparison } = setup([]);
    const snapshot = new ScanState(PREFIX).snapshot();
    const [named, orphan, young] = ['a', 'b', 'c'].map((c) => c.repeat(32));
    for (const parts of [named, orphan, young])
      comparison.kept.set(parts, { staged: [], invalidKeys: [], snapshot });
    comparison.suspendedAt.set(named, Date.now() - 7_200_000);
    comparison.suspendedAt.set(orphan, Date.now() - 7_200_000);
    comparison.suspendedAt.set(young, Date.now());
    const checkpoint = {
      parts: named,
      cursor: '5',
      server: null,
      tally: { scanned: 1, valid: 1, invalid: 0, skipped: 0, invalidRecords: [] },
    };
    const dropped = await service.dropOrphanedSuspensions(
      [checkpoint, { path: '/not/a/check' }],
      3_600_000,
    );
    assert.deepEqual(dropped, [orphan]);
    assert.deepEqual([...comparison.kept.keys()].sort(), [named, young]);
  });
});
