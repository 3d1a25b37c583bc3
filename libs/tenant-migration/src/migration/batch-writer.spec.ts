import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { legacyRecord } from '../tenants/tenant-record.spec-fixture.js';
import type { DataSource } from 'typeorm';
import {
  PostgresSessionFactory,
  type PostgresSession,
} from '../database/postgres-session.factory.js';
import { resolveOptions } from '../tenant-migration-options.resolve.js';
import { BatchWriter, type BatchWrite } from './batch-writer.js';
import { BatchTurn } from './batch-turn.js';
import type { Candidate, PreparedBatch } from './keyspace-classifier.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationRunRepository } from './migration-run.repository.js';
import type { TenantMergeRepository } from './tenant-merge.repository.js';
import type { ExceptionRow, MergeOutcome, StagedTenant } from './tenant-merge.types.js';
import type { ExistingTenantState } from './outcome.js';
import { isBalanced } from './run-state.js';
import {
  emptyCounts,
  type MigrationCheckpoint,
  type MigrationCounts,
  type MigrationRunOptions,
} from './migration.types.js';

const PREFIX = 'tenant:';
const OPTIONS: MigrationRunOptions = {
  prefix: PREFIX,
  batchSize: 100,
  conflictPolicy: 'keep-postgres',
};
const MIGRATED_AT = new Date('2026-01-01T00:00:00Z');

const candidate = (subdomain: string): Candidate => ({
  key: PREFIX + subdomain,
  notes: [],
  record: legacyRecord({
    id: `id-${subdomain}`,
    subdomain,
    emoji: '🍕',
    createdAt: 1700000000000,
    sourceHash: `hash-${subdomain}`,
  }),
});

/** What PostgreSQL holds for a subdomain, migrated from `key` with `hash` and untouched since. */
const row = (key: string, hash: string, updatedAt = MIGRATED_AT): ExistingTenantState => ({
  sourceKey: key,
  sourceHash: hash,
  migratedAt: MIGRATED_AT,
  updatedAt,
});

/** A client that records the statements the writer sends itself (the repositories are fakes). */
class FakeClient {
  readonly statements: string[] = [];
  query(sql: string): Promise<{ rows: never[] }> {
    this.statements.push(sql);
    return Promise.resolve({ rows: [] });
  }
}

/** PostgreSQL's refusal of data it cannot store (SQLSTATE 22021: a bad byte sequence). */
const unstorable = (): Error & { code: string } =>
  Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });

type MergeMethods =
  | 'stage'
  | 'clearStage'
  | 'mergeStaged'
  | 'findExisting'
  | 'insertExceptions'
  | 'copyIntoTenants'
  | 'transactionNow'
  | 'tombstonedAfterFence';

/** PostgreSQL's answer to a row that exists already (SQLSTATE 23505). */
const duplicate = (): Error & { code: string } =>
  Object.assign(new Error('duplicate key value violates unique constraint "tenants_pkey"'), {
    code: '23505',
  });

/** The merge repository over an in-memory PostgreSQL: what it holds, what a merge does. */
class FakeMerges implements Pick<TenantMergeRepository, MergeMethods> {
  staged: StagedTenant[] = [];
  readonly asked: string[][] = [];
  readonly inserted: ExceptionRow[] = [];
  /** Subdomains whose data PostgreSQL refuses. */
  refuse = new Set<string>();
  /** What a merge of everything staged answers (the one-by-one path: each created). */
  outcome: MergeOutcome | null = null;
  failMerge: Error | null = null;
  /** What the straight COPYs wrote, batch by batch, and what they were sent as `migrated_at`. */
  readonly copied: { subdomains: string[]; migratedAt: string }[] = [];
  readonly merges: string[][] = [];
  /** Subdomains deleted after the write fence (their tombstones). */
  tombstoned = new Set<string>();

  constructor(readonly existing: Map<string, ExistingTenantState>) {}

  stage(_client: PoolClient, staged: StagedTenant[]): Promise<void> {
    if (staged.some((s) => this.refuse.has(s.record.subdomain)))
      return Promise.reject(unstorable());
    this.staged = [...staged];
    return Promise.resolve();
  }

  copyIntoTenants(_client: PoolClient, staged: StagedTenant[], migratedAt: string): Promise<void> {
    if (staged.some((s) => this.refuse.has(s.record.subdomain)))
      return Promise.reject(unstorable());
    if (staged.some((s) => this.existing.has(s.record.subdomain)))
      return Promise.reject(duplicate());
    this.copied.push({ subdomains: staged.map((s) => s.record.subdomain), migratedAt });
    return Promise.resolve();
  }

  transactionNow(): Promise<string> {
    return Promise.resolve('2026-12-04 10:00:00.123456+00');
  }

  tombstonedAfterFence(_client: PoolClient, subdomains: string[]): Promise<boolean> {
    return Promise.resolve(subdomains.some((s) => this.tombstoned.has(s)));
  }

  clearStage(): Promise<void> {
    this.staged = [];
    return Promise.resolve();
  }

  mergeStaged(): Promise<MergeOutcome> {
    if (this.failMerge) return Promise.reject(this.failMerge);
    this.merges.push(this.staged.map((s) => s.record.subdomain));
    return Promise.resolve(this.outcome ?? { updated: new Set(), unwritten: new Set() });
  }

  findExisting(
    _client: PoolClient,
    subdomains: string[],
  ): Promise<Map<string, ExistingTenantState>> {
    this.asked.push([...subdomains]);
    const found = new Map<string, ExistingTenantState>();
    for (const s of subdomains) {
      const state = this.existing.get(s);
      if (state) found.set(s, state);
    }
    return Promise.resolve(found);
  }

  insertExceptions(_client: PoolClient, _runId: string, rows: ExceptionRow[]): Promise<void> {
    this.inserted.push(...rows);
    return Promise.resolve();
  }
}

/** The run ledger: only the checkpoint the batch commits with. */
class FakeRuns implements Pick<MigrationRunRepository, 'checkpointAndCommit'> {
  readonly commits: { counts: MigrationCounts; checkpoint: MigrationCheckpoint; keys: Buffer }[] =
    [];

  checkpointAndCommit(
    _client: PoolClient,
    _id: string,
    counts: MigrationCounts,
    checkpoint: MigrationCheckpoint,
    fingerprints: Buffer,
  ): Promise<void> {
    this.commits.push({ counts: structuredClone(counts), checkpoint, keys: fingerprints });
    return Promise.resolve();
  }
}

const vanished: ExceptionRow = {
  key: `${PREFIX}gone`,
  bucket: 'skipped',
  reasons: [{ code: 'vanished', message: 'the key was deleted or expired between SCAN and GET' }],
};
const wrongType: ExceptionRow = {
  key: `${PREFIX}set`,
  bucket: 'rejected',
  reasons: [{ code: 'wrong-type', message: 'the key holds a set, not a string' }],
};

/**
 * One batch of every outcome: `fresh` is new; `changed` (hash differs) is updated; `same` is
 * unchanged; `held` names a subdomain another key was migrated to; `edited` was changed by
 * another writer after the batch read Redis (the merge's guard refused it); `deleted` lost its
 * row to another writer the same way; `pgEdited` was changed in PostgreSQL since its last
 * migration. Plus a vanished key and a wrong-type key from the classifier.
 */
const mixedBatch = (): PreparedBatch => ({
  cursor: '1234',
  server: 'abc',
  fence: '100:100:',
  scanned: 9,
  repeated: 2,
  candidates: ['fresh', 'changed', 'same', 'held', 'edited', 'deleted', 'pgEdited'].map(candidate),
  exceptions: [vanished, wrongType],
  fingerprints: Buffer.from('fingerprints'),
});

const postgresHolds = (): Map<string, ExistingTenantState> =>
  new Map([
    ['changed', row(`${PREFIX}changed`, 'old')],
    ['same', row(`${PREFIX}same`, 'hash-same')],
    ['held', row(`${PREFIX}Held`, 'hash-held')],
    ['edited', row(`${PREFIX}edited`, 'old')],
    ['pgEdited', row(`${PREFIX}pgEdited`, 'old', new Date('2026-02-01T00:00:00Z'))],
  ]);

const run = { id: 'run-1' } as MigrationRunEntity;

const writeOf = (
  client: FakeClient,
  over: Partial<BatchWrite> = {},
): BatchWrite & { stages: string[] } => {
  const stages: string[] = [];
  const session: PostgresSession = {
    client: client as unknown as PoolClient,
    release: () => Promise.resolve(),
    discard: () => Promise.resolve(),
  };
  return {
    session,
    run,
    options: OPTIONS,
    batch: mixedBatch(),
    number: 7,
    turn: new BatchTurn(null),
    secret: 'ab'.repeat(16),
    path: { firstLoad: true },
    onStage: (stage, batch) => stages.push(`${stage} ${batch}`),
    stages,
    ...over,
  };
};

/** The real factory: its transaction methods use only the client they are handed (no pool is opened). */
const sessions = new PostgresSessionFactory(resolveOptions({}), { options: {} } as DataSource);

const writerOf = (merges: FakeMerges, runs = new FakeRuns()): BatchWriter =>
  new BatchWriter(
    merges as unknown as TenantMergeRepository,
    runs as unknown as MigrationRunRepository,
    sessions,
  );

describe('BatchWriter, a real run', () => {
  it('puts every key of the batch in exactly one bucket, and the buckets add up', async () => {
    const merges = new FakeMerges(postgresHolds());
    merges.outcome = {
      updated: new Set(['changed']),
      unwritten: new Set(['same', 'held', 'edited', 'deleted', 'pgEdited']),
    };
    const runs = new FakeRuns();
    const counts: MigrationCounts = { ...emptyCounts(), scanned: 10, migrated: 10, created: 10 };
    const client = new FakeClient();
    const exceptions = await writerOf(merges, runs).write(writeOf(client), counts);

    assert.deepEqual(counts, {
      ...emptyCounts(),
      scanned: 19,
      migrated: 12,
      created: 11,
      updated: 1,
      unchanged: 1,
      skipped: 4,
      rejected: 2,
      conflicts: 3,
      skippedByReason: {
        vanished: 1,
        'concurrent-write': 1,
        'concurrent-delete': 1,
        'conflict-postgres-changed': 1,
      },
      rejectedByReason: { 'wrong-type': 1, 'subdomain-conflict': 1 },
      repeated: 2,
    });
    assert.ok(isBalanced(counts));
    assert.deepEqual(
      exceptions.map((e) => [e.key, e.bucket, e.reasons[0].code]),
      [
        ['tenant:gone', 'skipped', 'vanished'],
        ['tenant:set', 'rejected', 'wrong-type'],
        ['tenant:held', 'rejected', 'subdomain-conflict'],
        ['tenant:edited', 'skipped', 'concurrent-write'],
        ['tenant:deleted', 'skipped', 'concurrent-delete'],
        ['tenant:pgEdited', 'skipped', 'conflict-postgres-changed'],
      ],
    );
    assert.deepEqual(merges.inserted, exceptions, 'every exception is recorded with the batch');
    // The straight COPY met existing rows and was rolled back; the state read before the merge
    // decides what is written, and the merge's refusals are read again after it.
    assert.deepEqual(merges.copied, []);
    assert.equal(client.statements[1], 'ROLLBACK TO SAVEPOINT batch');
    assert.deepEqual(merges.asked, [
      ['fresh', 'changed', 'same', 'held', 'edited', 'deleted', 'pgEdited'],
      ['edited', 'deleted'],
    ]);
    assert.deepEqual(merges.merges, [['fresh', 'changed', 'edited', 'deleted']]);
  });

  it('COPYs a first load straight into the table: no read, no staging, no merge', async () => {
    const merges = new FakeMerges(new Map());
    const client = new FakeClient();
    const write = writeOf(client);
    const counts = emptyCounts();
    await writerOf(merges).write(write, counts);

    assert.deepEqual(merges.copied, [
      {
        subdomains: ['fresh', 'changed', 'same', 'held', 'edited', 'deleted', 'pgEdited'],
        migratedAt: '2026-12-04 10:00:00.123456+00',
      },
    ]);
    assert.deepEqual(merges.asked, [], 'nothing read');
    assert.deepEqual(merges.merges, [], 'nothing merged');
    assert.equal(counts.created, 7);
    assert.ok(isBalanced(counts));
    assert.equal(write.path.firstLoad, true, 'the next batch is COPYed too');
  });

  it('merges instead of COPYing a tenant deleted after the write fence', async () => {
    const merges = new FakeMerges(new Map());
    merges.tombstoned.add('deleted');
    merges.outcome = { updated: new Set(), unwritten: new Set(['deleted']) };
    const client = new FakeClient();
    const counts = emptyCounts();
    const exceptions = await writerOf(merges).write(writeOf(client), counts);

    assert.equal(client.statements[1], 'ROLLBACK TO SAVEPOINT batch', 'the COPY is undone');
    assert.equal(merges.merges.length, 1);
    assert.equal(counts.created, 6);
    assert.deepEqual(counts.skippedByReason, { vanished: 1, 'concurrent-delete': 1 });
    assert.ok(exceptions.some((e) => e.key === 'tenant:deleted'));
    assert.ok(isBalanced(counts));
  });

  it('merges a record whose timestamps ISO 8601 text cannot carry (past year 9999)', async () => {
    const merges = new FakeMerges(new Map());
    const batch = mixedBatch();
    batch.candidates[0].record.createdAt = 253402300800000; // 10000-01-01
    const client = new FakeClient();
    const counts = emptyCounts();
    await writerOf(merges).write(writeOf(client, { batch }), counts);

    assert.deepEqual(merges.copied, []);
    assert.equal(merges.merges.length, 1, 'the merge converts epoch milliseconds itself');
    assert.equal(counts.created, 7);
  });

  it('writes nothing for a re-run of unchanged tenants, and learns the table is not empty', async () => {
    const holds = new Map(
      ['fresh', 'changed', 'same'].map((s) => [s, row(`${PREFIX}${s}`, `hash-${s}`)]),
    );
    const merges = new FakeMerges(holds);
    const batch = mixedBatch();
    batch.candidates = batch.candidates.slice(0, 3);
    batch.scanned = 5;
    const client = new FakeClient();
    const write = writeOf(client, { batch, path: { firstLoad: false } });
    const counts = emptyCounts();
    await writerOf(merges).write(write, counts);

    assert.deepEqual(merges.copied, []);
    assert.deepEqual(merges.merges, [], 'nothing staged or merged');
    assert.deepEqual(merges.asked, [['fresh', 'changed', 'same'], []]);
    assert.equal(counts.unchanged, 3);
    assert.ok(isBalanced(counts));
    assert.equal(write.path.firstLoad, false);
    assert.deepEqual(write.stages, ['batch-staged 7', 'batch-merged 7', 'batch-committed 7']);
  });

  it('goes back to the straight COPY after a merged batch that found none of its tenants', async () => {
    const merges = new FakeMerges(new Map());
    const client = new FakeClient();
    const write = writeOf(client, { path: { firstLoad: false } });
    await writerOf(merges).write(write, emptyCounts());

    assert.deepEqual(merges.asked, [
      ['fresh', 'changed', 'same', 'held', 'edited', 'deleted', 'pgEdited'],
    ]);
    assert.equal(merges.copied.length, 1, 'none existed: COPYed without staging');
    assert.equal(write.path.firstLoad, true);
  });

  it('commits the counts with the checkpoint and fingerprints, in one transaction', async () => {
    const merges = new FakeMerges(new Map());
    const runs = new FakeRuns();
    const client = new FakeClient();
    const write = writeOf(client);
    const counts = emptyCounts();
    await writerOf(merges, runs).write(write, counts);

    assert.deepEqual(client.statements, [
      'BEGIN; SET LOCAL synchronous_commit TO OFF; SAVEPOINT batch',
      'SAVEPOINT exceptions',
    ]);
    assert.equal(runs.commits.length, 1);
    assert.deepEqual(runs.commits[0].checkpoint, {
      cursor: '1234',
      batches: 7,
      server: 'abc',
      secret: 'ab'.repeat(16),
    });
    assert.deepEqual(runs.commits[0].counts, counts);
    assert.equal(runs.commits[0].keys.toString(), 'fingerprints');
    assert.equal(counts.created, 7, 'all seven candidates created in an empty PostgreSQL');
    assert.deepEqual(write.stages, ['batch-staged 7', 'batch-merged 7', 'batch-committed 7']);
  });

  it('quarantines only the record PostgreSQL cannot store, and migrates the rest', async () => {
    const merges = new FakeMerges(new Map());
    merges.refuse.add('changed');
    const client = new FakeClient();
    const counts = emptyCounts();
    const exceptions = await writerOf(merges).write(writeOf(client), counts);

    assert.equal(counts.created, 6);
    assert.equal(counts.rejected, 2);
    assert.deepEqual(counts.rejectedByReason, { 'wrong-type': 1, unstorable: 1 });
    assert.equal(counts.skipped, 1);
    assert.ok(isBalanced(counts));
    const refused = exceptions.find((e) => e.key === 'tenant:changed');
    assert.equal(refused?.reasons[0].code, 'unstorable');
    assert.match(refused?.reasons[0].message ?? '', /cannot store this record: invalid byte/);
    assert.equal(client.statements[1], 'ROLLBACK TO SAVEPOINT batch');
    assert.equal(client.statements.filter((s) => s === 'SAVEPOINT one').length, 7);
    assert.equal(client.statements.filter((s) => s === 'ROLLBACK TO SAVEPOINT one').length, 1);
    assert.equal(client.statements.filter((s) => s === 'RELEASE SAVEPOINT one').length, 6);
  });

  it('rolls back, leaves the counts alone and fails the turn when the merge fails', async () => {
    const merges = new FakeMerges(postgresHolds());
    const lost = new Error('connection terminated');
    merges.failMerge = lost;
    const runs = new FakeRuns();
    const client = new FakeClient();
    const write = writeOf(client);
    const counts = emptyCounts();
    await assert.rejects(writerOf(merges, runs).write(write, counts), lost);

    assert.deepEqual(counts, emptyCounts());
    assert.equal(runs.commits.length, 0);
    assert.equal(client.statements.at(-1), 'ROLLBACK');
    await assert.rejects(write.turn.committed.done, lost, 'the next batch is told');
  });
});

describe('BatchWriter, a dry run', () => {
  it('decides every candidate from what PostgreSQL holds, and writes nothing', async () => {
    const merges = new FakeMerges(postgresHolds());
    const runs = new FakeRuns();
    const client = new FakeClient();
    const counts = emptyCounts();
    const write = writeOf(client, { run: null });
    const exceptions = await writerOf(merges, runs).write(write, counts);

    // Without a merge, nothing concurrent can be told: `edited` is an update, `deleted` a create.
    assert.deepEqual(counts, {
      ...emptyCounts(),
      scanned: 9,
      migrated: 4,
      created: 2,
      updated: 2,
      unchanged: 1,
      skipped: 2,
      rejected: 2,
      conflicts: 1,
      skippedByReason: { vanished: 1, 'conflict-postgres-changed': 1 },
      rejectedByReason: { 'wrong-type': 1, 'subdomain-conflict': 1 },
      repeated: 2,
    });
    assert.ok(isBalanced(counts));
    assert.equal(exceptions.length, 4, 'the exceptions still come back, for the samples');
    assert.deepEqual(merges.asked, [
      ['fresh', 'changed', 'same', 'held', 'edited', 'deleted', 'pgEdited'],
    ]);
    assert.deepEqual(client.statements, [], 'no transaction of its own');
    assert.deepEqual(merges.inserted, []);
    assert.deepEqual(runs.commits, []);
    assert.deepEqual(write.stages, [], 'the in-transaction stages are a real run’s');
  });
});
