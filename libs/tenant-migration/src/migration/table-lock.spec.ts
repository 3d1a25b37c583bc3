import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { MigrationLockedError } from '../errors/index.js';
import type {
  PostgresSession,
  PostgresSessionFactory,
} from '../database/postgres-session.factory.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationRunRepository } from './migration-run.repository.js';
import { TableLock } from './table-lock.js';
import type { TableLockRepository } from './table-lock.repository.js';

/** One session, and what became of it. */
class FakeSessions implements Pick<PostgresSessionFactory, 'open' | 'assertSchema'> {
  readonly ended: string[] = [];

  open(): Promise<PostgresSession> {
    return Promise.resolve({
      client: {} as PoolClient,
      release: () => Promise.resolve(void this.ended.push('released')),
      discard: () => Promise.resolve(void this.ended.push('discarded')),
    });
  }

  assertSchema(): Promise<void> {
    return Promise.resolve();
  }
}

/** The advisory lock: whether it is free, and whether releasing it works. */
class FakeLocks implements Pick<TableLockRepository, 'tryLock' | 'unlock'> {
  readonly calls: string[] = [];

  constructor(
    private readonly free: boolean,
    private readonly unlocks: boolean | Error = true,
  ) {}

  tryLock(_client: PoolClient, table: string): Promise<boolean> {
    this.calls.push(`lock ${table}`);
    return Promise.resolve(this.free);
  }

  unlock(_client: PoolClient, table: string): Promise<boolean> {
    this.calls.push(`unlock ${table}`);
    return this.unlocks instanceof Error
      ? Promise.reject(this.unlocks)
      : Promise.resolve(this.unlocks);
  }
}

const runs: Pick<MigrationRunRepository, 'findInterrupted'> = {
  findInterrupted: () => Promise.resolve([{ id: 'holder-run' } as MigrationRunEntity]),
};

const lockOf = (sessions: FakeSessions, locks: FakeLocks): TableLock =>
  new TableLock(
    { tables: { tenants: 'public.tenants' } } as ResolvedTenantMigrationOptions,
    sessions as unknown as PostgresSessionFactory,
    runs as MigrationRunRepository,
    locks,
  );

describe('TableLock', () => {
  it('runs the work holding the lock, then releases it and the session', async () => {
    const sessions = new FakeSessions();
    const locks = new FakeLocks(true);
    assert.equal(await lockOf(sessions, locks).hold('sync', () => Promise.resolve(42)), 42);
    assert.deepEqual(locks.calls, ['lock public.tenants', 'unlock public.tenants']);
    assert.deepEqual(sessions.ended, ['released']);
  });

  it('refuses at once when another operation holds the table, naming the running run', async () => {
    const sessions = new FakeSessions();
    const locks = new FakeLocks(false);
    let ran = false;
    await assert.rejects(
      lockOf(sessions, locks).hold('cleanup', () => Promise.resolve((ran = true))),
      (error: unknown) => {
        assert.ok(error instanceof MigrationLockedError);
        assert.match(error.message, /^cleanup cannot start: .* running on public\.tenants/);
        assert.deepEqual(error.context, { table: 'public.tenants', runId: 'holder-run' });
        return true;
      },
    );
    assert.equal(ran, false);
    assert.deepEqual(locks.calls, ['lock public.tenants'], 'nothing to unlock');
    assert.deepEqual(sessions.ended, ['released']);
  });

  it('closes the session instead of pooling it when the lock cannot be released', async () => {
    for (const unlocks of [false, new Error('connection lost')]) {
      const sessions = new FakeSessions();
      await lockOf(sessions, new FakeLocks(true, unlocks)).hold('migrate', () => Promise.resolve());
      assert.deepEqual(sessions.ended, ['discarded']);
    }
  });
});
