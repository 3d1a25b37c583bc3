import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { SeenKeySet } from '../common/seen-key-set.js';
import type { PostgresSession } from '../database/postgres-session.factory.js';
import type { KeyspaceBatch } from '../source/keyspace-entry.js';
import type { KeyspaceScanOptions, RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { BatchWrite, BatchWriter } from './batch-writer.js';
import type { KeyspaceClassifier, PreparedBatch } from './keyspace-classifier.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationRunRepository } from './migration-run.repository.js';
import type { MigrationProgress, MigrationRequest } from './migration-request.types.js';
import { RunExecutor } from './run-executor.js';
import type { RunSessions } from './run-sessions.js';
import { RunState } from './run-state.js';
import type { ScanState } from './scan-state.js';
import type { ExceptionRow } from './tenant-merge.types.js';
import {
  emptyCounts,
  type MigrationCounts,
  type MigrationRunOptions,
  type MigrationRunStatus,
} from './migration.types.js';

const PREFIX = 'tenant:';
const OPTIONS: MigrationRunOptions = { prefix: PREFIX, batchSize: 2, conflictPolicy: 'skip' };
const SECRET = 'ef'.repeat(16);

/** A keyspace of pages: each yielded as one batch, ending with cursor '0'. */
class FakeReader implements Pick<RedisKeyspaceReader, 'batches' | 'databaseSize'> {
  readonly asked: KeyspaceScanOptions[] = [];

  constructor(private readonly pages: string[][]) {}

  async *batches(options: KeyspaceScanOptions): AsyncGenerator<KeyspaceBatch> {
    this.asked.push(options);
    for (let i = 0; i < this.pages.length; i++) {
      const fence = options.beforeFetch ? await options.beforeFetch() : null;
      yield {
        cursor: i === this.pages.length - 1 ? '0' : String(100 + i),
        server: 'server-1',
        fence,
        passedOver: 0,
        entries: this.pages[i].map((key) => ({ key, kind: 'vanished' as const })),
      };
    }
  }

  databaseSize(): Promise<number> {
    return Promise.resolve(1000);
  }
}

/** Every key one candidate-less batch entry; remembers which keys the scan had already seen. */
class FakeClassifier implements Pick<KeyspaceClassifier, 'classify'> {
  readonly knownAtClassify: boolean[] = [];

  classify(batch: KeyspaceBatch, scan?: ScanState): Promise<PreparedBatch> {
    for (const e of batch.entries) this.knownAtClassify.push(scan?.seen.has(e.key) ?? false);
    return Promise.resolve({
      cursor: batch.cursor,
      server: batch.server,
      fence: batch.fence,
      scanned: batch.entries.length,
      repeated: 0,
      candidates: [],
      exceptions: [],
      fingerprints: Buffer.alloc(0),
    });
  }
}

/** Counts every key of a batch as created, in order; fails the batches it is told to. */
class FakeWriter implements Pick<BatchWriter, 'write'> {
  readonly writes: BatchWrite[] = [];
  failOn = new Set<number>();

  write(write: BatchWrite, counts: MigrationCounts): Promise<ExceptionRow[]> {
    this.writes.push(write);
    if (this.failOn.has(write.number))
      return Promise.reject(new Error(`batch ${write.number} lost`));
    counts.scanned += write.batch.scanned;
    counts.migrated += write.batch.scanned;
    counts.created += write.batch.scanned;
    return Promise.resolve([]);
  }
}

type RunMethods = 'forEachFingerprints' | 'finish';

class FakeRuns implements Pick<MigrationRunRepository, RunMethods> {
  readonly finished: {
    status: MigrationRunStatus;
    counts: MigrationCounts;
    durationMs: number;
    error: string | null;
  }[] = [];

  constructor(private readonly fingerprints: Buffer[] = []) {}

  forEachFingerprints(_runId: string, add: (fingerprints: Buffer) => void): Promise<void> {
    for (const f of this.fingerprints) add(f);
    return Promise.resolve();
  }

  finish(
    _id: string,
    status: MigrationRunStatus,
    counts: MigrationCounts,
    durationMs: number,
    error: string | null = null,
  ): Promise<void> {
    this.finished.push({ status, counts: structuredClone(counts), durationMs, error });
    return Promise.resolve();
  }
}

const session = (name: string): PostgresSession => ({
  client: { name } as unknown as PoolClient,
  release: () => Promise.resolve(),
  discard: () => Promise.resolve(),
});
const WRITERS = [session('first'), session('second')];

const interruptedRun = (over: Partial<MigrationRunEntity> = {}): MigrationRunEntity =>
  ({
    id: 'run-1',
    kind: 'migrate',
    status: 'running',
    options: OPTIONS,
    counts: { ...emptyCounts(), scanned: 6, migrated: 6, created: 6 },
    checkpoint: { cursor: '77', batches: 3, server: 'server-1', secret: SECRET },
    durationMs: 1000,
    ...over,
  }) as MigrationRunEntity;

const setup = (pages: string[][], fingerprints: Buffer[] = []) => {
  const reader = new FakeReader(pages);
  const classifier = new FakeClassifier();
  const writer = new FakeWriter();
  const runs = new FakeRuns(fingerprints);
  const executor = new RunExecutor(
    { keyPrefix: PREFIX, maxValueBytes: 4096 } as ResolvedTenantMigrationOptions,
    reader as unknown as RedisKeyspaceReader,
    runs as unknown as MigrationRunRepository,
    classifier as unknown as KeyspaceClassifier,
    writer as unknown as BatchWriter,
  );
  return { reader, classifier, writer, runs, executor };
};

/** A request that notes every stage and progress report. */
const observed = (): MigrationRequest & { stages: string[]; reports: MigrationProgress[] } => {
  const stages: string[] = [];
  const reports: MigrationProgress[] = [];
  return {
    stages,
    reports,
    onStage: (stage, batch) => stages.push(`${stage} ${batch}`),
    onProgress: (progress) => reports.push(structuredClone(progress)),
  };
};

describe('RunExecutor', () => {
  it('resumes from the checkpoint: its cursor, counts, batch numbers, secret and keys', async () => {
    const done = new SeenKeySet(Buffer.from(SECRET, 'hex'), PREFIX).fingerprintsOf([
      'tenant:a',
      'tenant:b',
    ]);
    const { reader, classifier, writer, runs, executor } = setup(
      [['tenant:a', 'tenant:c'], ['tenant:d']],
      [done],
    );
    let fences = 0;
    const sessions: RunSessions = {
      writers: WRITERS,
      takeFence: () => Promise.resolve(`fence-${++fences}`),
    };
    const request = observed();
    const state = new RunState(interruptedRun(), OPTIONS, true);
    const result = await executor.execute(sessions, state, request);

    assert.deepEqual(reader.asked[0].resumeFrom, { cursor: '77', server: 'server-1' });
    assert.equal(reader.asked[0].batchSize, 2);
    assert.deepEqual(classifier.knownAtClassify, [true, false, false], 'a and b were accounted');
    assert.deepEqual(
      writer.writes.map((w) => [w.number, w.session, w.secret, w.batch.fence]),
      [
        [4, WRITERS[0], SECRET, 'fence-1'],
        [5, WRITERS[1], SECRET, 'fence-2'],
      ],
    );
    assert.deepEqual(result.counts, { ...emptyCounts(), scanned: 9, migrated: 9, created: 9 });
    assert.equal(result.resumed, true);
    assert.equal(result.runId, 'run-1');
    assert.deepEqual(request.stages, [
      'batch-read 4',
      'batch-read 5',
      'scan-finished 5',
      'run-finished 5',
    ]);
    assert.deepEqual(
      request.reports.map((r) => [r.batches, r.batch?.number, r.batch?.scanned, r.counts.scanned]),
      [
        [4, 4, 2, 8],
        [5, 5, 1, 9],
      ],
      'each report carries its batch’s share; the counts go on from the checkpoint’s',
    );
    assert.equal(runs.finished.length, 1);
    assert.equal(runs.finished[0].status, 'completed');
    assert.deepEqual(runs.finished[0].counts, result.counts);
    assert.ok(runs.finished[0].durationMs >= 1000, 'the earlier executions’ time is kept');
  });

  it('finishes a run whose checkpoint had scanned everything without reading again', async () => {
    const { reader, writer, runs, executor } = setup([['tenant:x']]);
    const run = interruptedRun({
      checkpoint: { cursor: '0', batches: 3, server: 'server-1', secret: SECRET },
    });
    const result = await executor.execute(
      { writers: WRITERS, takeFence: null },
      new RunState(run, OPTIONS, true),
      {},
    );
    assert.equal(reader.asked.length, 0);
    assert.equal(writer.writes.length, 0);
    assert.equal(result.counts.scanned, 6);
    assert.deepEqual(
      runs.finished.map((f) => f.status),
      ['completed'],
    );
  });

  it('counts a dry run like a real one and records nothing', async () => {
    const { reader, writer, runs, executor } = setup([['tenant:a', 'tenant:b'], ['tenant:c']]);
    const request = observed();
    const result = await executor.execute(
      { writers: [WRITERS[0]], takeFence: null },
      new RunState(null, OPTIONS, false),
      request,
    );
    assert.equal(reader.asked[0].resumeFrom, undefined);
    assert.equal(reader.asked[0].beforeFetch, undefined, 'no write fences');
    assert.deepEqual(
      writer.writes.map((w) => [w.number, w.run]),
      [
        [1, null],
        [2, null],
      ],
    );
    assert.equal(result.dryRun, true);
    assert.equal(result.runId, null);
    assert.deepEqual(result.counts, { ...emptyCounts(), scanned: 3, migrated: 3, created: 3 });
    assert.equal(result.balanced, true);
    assert.deepEqual(request.stages, ['batch-read 1', 'batch-read 2', 'scan-finished 2']);
    assert.deepEqual(runs.finished, []);
  });

  it('stops handing batches over after a failed write and leaves the run resumable', async () => {
    const { writer, runs, executor } = setup([['tenant:a'], ['tenant:b'], ['tenant:c']]);
    writer.failOn.add(2);
    await assert.rejects(
      executor.execute(
        { writers: [WRITERS[0]], takeFence: null },
        new RunState(interruptedRun({ counts: emptyCounts(), checkpoint: null }), OPTIONS, false),
        {},
      ),
      /batch 2 lost/,
    );
    assert.deepEqual(
      writer.writes.map((w) => w.number),
      [1, 2],
    );
    assert.equal(runs.finished.length, 1);
    assert.equal(runs.finished[0].status, 'interrupted');
    assert.equal(runs.finished[0].error, 'batch 2 lost');
    assert.equal(runs.finished[0].counts.scanned, 1, 'what batch 1 committed');
  });
});
