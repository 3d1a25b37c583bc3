import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { MigrationLockedError } from '../errors/index.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import {
  PostgresSessionFactory,
  type PostgresSession,
} from '../database/postgres-session.factory.js';
import { errorMessage } from '../common/error-message.js';
import { TableLockRepository } from './table-lock.repository.js';

/** What holds the table: shown to whoever is refused. */
export type LockedOperation = 'migrate' | 'restore-postgres' | 'sync' | 'cleanup';

/**
 * The exclusive lock of the tenants table for the operations that must never overlap on it:
 * a migration, a PostgreSQL restore, a sync and a cleanup (each changes rows or keys the
 * others decide on). Taken with try, so a second operation fails at once with
 * `MigrationLockedError` (HTTP 409, CLI exit 3) instead of waiting. The lock is a session lock
 * on a connection of its own; if it cannot be released, the connection is closed rather than
 * returned to the pool still holding it.
 */
@Injectable()
export class TableLock {
  private readonly logger = new Logger(TableLock.name);

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly sessions: PostgresSessionFactory,
    private readonly runs: MigrationRunRepository,
    private readonly locks: TableLockRepository,
  ) {}

  /** Runs `work` holding the table's lock; `MigrationLockedError` if another operation holds it. */
  async hold<T>(operation: LockedOperation, work: () => Promise<T>): Promise<T> {
    const { tenants } = this.options.tables;
    const session = await this.sessions.open();
    let locked = false;
    try {
      // A missing schema or table is said as such (its lock key would be NULL, not a holder).
      await this.sessions.assertSchema(session.client);
      locked = await this.locks.tryLock(session.client, tenants);
      if (!locked) {
        const running = await this.runs.findInterrupted('migrate');
        throw new MigrationLockedError(
          `${operation} cannot start: a migration, PostgreSQL restore, sync or cleanup is running on ${tenants}; wait for it to finish`,
          { table: tenants, runId: running[0]?.id ?? null },
        );
      }
      return await work();
    } finally {
      await this.release(session, locked, tenants);
    }
  }

  private async release(session: PostgresSession, locked: boolean, table: string): Promise<void> {
    if (!locked) return session.release();
    try {
      if (await this.locks.unlock(session.client, table)) return await session.release();
    } catch (error) {
      this.logger.warn(`could not release the lock of ${table}: ${errorMessage(error)}`);
    }
    await session.discard();
  }
}
