import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationRunNotFoundError, RunNotResumableError } from '../errors/index.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationRunRepository } from './migration-run.repository.js';
import { RunStarter } from './run-starter.js';
import {
  emptyCounts,
  type MigrationCheckpoint,
  type MigrationRunKind,
  type MigrationRunOptions,
  type MigrationRunStatus,
} from './migration.types.js';

const OPTIONS: MigrationRunOptions = { prefix: 'tenant:', batchSize: 50, conflictPolicy: 'skip' };
const SECRET = 'cd'.repeat(16);

const runOf = (
  id: string,
  over: { status?: MigrationRunStatus; prefix?: string; checkpoint?: MigrationCheckpoint | null },
): MigrationRunEntity =>
  ({
    id,
    kind: 'migrate',
    status: over.status ?? 'interrupted',
    options: { ...OPTIONS, batchSize: 7, prefix: over.prefix ?? OPTIONS.prefix },
    counts: emptyCounts(),
    checkpoint:
      over.checkpoint === undefined
        ? { cursor: '42', batches: 3, server: 'abc', secret: SECRET }
        : over.checkpoint,
    durationMs: null,
  }) as MigrationRunEntity;

type RunMethods = 'findById' | 'findInterrupted' | 'markStatus' | 'create';

/** The run ledger in memory: runs by id, newest first, and every status change. */
class FakeRuns implements Pick<MigrationRunRepository, RunMethods> {
  readonly marked: [string, MigrationRunStatus][] = [];
  readonly created: MigrationRunOptions[] = [];

  constructor(private readonly runs: MigrationRunEntity[]) {}

  findById(id: string): Promise<MigrationRunEntity | null> {
    return Promise.resolve(this.runs.find((r) => r.id === id) ?? null);
  }

  findInterrupted(): Promise<MigrationRunEntity[]> {
    return Promise.resolve(
      this.runs.filter((r) => r.status === 'running' || r.status === 'interrupted'),
    );
  }

  markStatus(id: string, status: MigrationRunStatus): Promise<void> {
    this.marked.push([id, status]);
    return Promise.resolve();
  }

  create(_kind: MigrationRunKind, options: MigrationRunOptions): Promise<MigrationRunEntity> {
    this.created.push(options);
    return Promise.resolve(runOf('new', { status: 'running', checkpoint: null }));
  }
}

const starterOf = (runs: FakeRuns): RunStarter =>
  new RunStarter(runs as unknown as MigrationRunRepository);

describe('RunStarter', () => {
  it('resumes the run it is given, from its checkpoint, with its own options', async () => {
    const runs = new FakeRuns([runOf('given', {})]);
    const { run, resumed } = await starterOf(runs).startOrResume(OPTIONS, {
      resumeRunId: 'given',
    });
    assert.equal(resumed, true);
    assert.equal(run.id, 'given');
    assert.deepEqual(run.checkpoint, { cursor: '42', batches: 3, server: 'abc', secret: SECRET });
    assert.equal(run.options.batchSize, 7, 'the run keeps the options it started with');
    assert.deepEqual(runs.marked, [['given', 'running']]);
  });

  it('refuses an unknown, completed, other-prefix or inexactly checkpointed run', async () => {
    const runs = new FakeRuns([
      runOf('done', { status: 'completed' }),
      runOf('eu', { prefix: 'tenant-eu:' }),
      runOf('old', { checkpoint: { cursor: '42', batches: 3 } }),
    ]);
    const starter = starterOf(runs);
    await assert.rejects(
      starter.startOrResume(OPTIONS, { resumeRunId: 'missing' }),
      MigrationRunNotFoundError,
    );
    await assert.rejects(starter.startOrResume(OPTIONS, { resumeRunId: 'done' }), {
      name: RunNotResumableError.name,
      message: 'run done already completed',
    });
    await assert.rejects(starter.startOrResume(OPTIONS, { resumeRunId: 'eu' }), {
      name: RunNotResumableError.name,
      message: 'run eu migrated prefix "tenant-eu:", this process is configured for "tenant:"',
    });
    await assert.rejects(
      starter.startOrResume(OPTIONS, { resumeRunId: 'old' }),
      /cannot be resumed exactly/,
    );
    assert.deepEqual(runs.marked, [], 'a refused run is left as it was');
  });

  it('resumes the newest interrupted run of its prefix and retires the older ones', async () => {
    const runs = new FakeRuns([
      runOf('newest', {}),
      runOf('other-prefix', { prefix: 'other:' }),
      runOf('older', { status: 'running' }),
    ]);
    const { run, resumed } = await starterOf(runs).startOrResume(OPTIONS, {});
    assert.equal(run.id, 'newest');
    assert.equal(resumed, true);
    assert.deepEqual(runs.marked, [
      ['newest', 'running'],
      ['older', 'abandoned'],
    ]);
    assert.deepEqual(runs.created, []);
  });

  it('starts afresh when told not to resume, or when the newest cannot resume exactly', async () => {
    for (const [runs, request] of [
      [new FakeRuns([runOf('newest', {})]), { autoResume: false }],
      [new FakeRuns([runOf('newest', { checkpoint: { cursor: '9', batches: 1 } })]), {}],
    ] as const) {
      const { run, resumed } = await starterOf(runs).startOrResume(OPTIONS, request);
      assert.equal(run.id, 'new');
      assert.equal(resumed, false);
      assert.deepEqual(runs.marked, [['newest', 'abandoned']]);
      assert.deepEqual(runs.created, [OPTIONS]);
    }
  });

  it('starts a new run when nothing was interrupted', async () => {
    const runs = new FakeRuns([runOf('finished', { status: 'completed' })]);
    const { run, resumed } = await starterOf(runs).startOrResume(OPTIONS, {});
    assert.deepEqual([run.id, resumed], ['new', false]);
    assert.deepEqual(runs.marked, []);
  });
});
