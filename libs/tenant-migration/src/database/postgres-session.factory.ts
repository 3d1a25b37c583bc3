import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PoolClient } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { Sema } from 'async-sema';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaMissingError, StoreUnavailableError } from '../errors/index.js';
import { LATEST_SCHEMA_MIGRATION } from './schema-migrations.js';

/** How a read-only snapshot starts: one consistent view of the database, and no writes. */
const READ_ONLY_SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** TypeORM's Postgres runner, with the release that drops its connection (see `discard`). */
interface Discardable {
  releasePostgresConnection(error: Error): Promise<void>;
}

/** The library's schema as a database has it (`PostgresSessionFactory.schemaState`). */
export interface SchemaState {
  /** Applied schema migrations, newest first; null when the ledger table does not exist. */
  applied: string[] | null;
  tenantsTable: boolean;
}

/**
 * A dedicated PostgreSQL connection from the host's pool, held for the length of one run:
 * session-level advisory locks and the COPY staging table live on one connection.
 */
export interface PostgresSession {
  readonly client: PoolClient;
  release(): Promise<void>;
  /**
   * Closes the connection instead of returning it to the pool: for a session whose state
   * (a lock, a transaction) could not be cleared.
   */
  discard(): Promise<void>;
}

/** pg's pool size when the DataSource does not set one. */
const PG_DEFAULT_POOL_SIZE = 10;

/**
 * The pool's connections sessions may hold together: all but a reserve (3, or a third of a small
 * pool) kept for short queries, so `/health`, status reads and the operations routes never wait
 * behind the sessions of migrations, checks and backups.
 */
export const sessionBudgetOf = (poolSize: number): number =>
  Math.max(1, poolSize - Math.min(3, Math.floor(poolSize / 3)));

/** How long `open` waits for a session of the budget before it gives up. */
export const SESSION_WAIT_MS = 30_000;

const poolSizeOf = (dataSource: DataSource): number => {
  const options = dataSource.options as { poolSize?: number; extra?: { max?: unknown } };
  const max = options.extra?.max ?? options.poolSize;
  return typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : PG_DEFAULT_POOL_SIZE;
};

@Injectable()
export class PostgresSessionFactory {
  /** The sessions held at once, within the budget (see `sessionBudgetOf`). */
  private readonly budget: Sema;
  readonly sessionBudget: number;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
  ) {
    this.sessionBudget = sessionBudgetOf(poolSizeOf(dataSource));
    this.budget = new Sema(this.sessionBudget);
  }

  /**
   * A session of its own, once the budget has room (first come, first served): waits at most
   * SESSION_WAIT_MS, then fails as StoreUnavailableError.
   */
  async open(): Promise<PostgresSession> {
    await this.takeFromBudget();
    let returned = false;
    const giveBack = () => {
      if (!returned) this.budget.release();
      returned = true;
    };
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    let client: PoolClient;
    try {
      client = (await runner.connect()) as PoolClient;
    } catch (error) {
      await runner.release().catch(() => undefined);
      giveBack();
      throw new StoreUnavailableError('cannot connect to PostgreSQL', {}, { cause: error });
    }
    return {
      client,
      release: () => runner.release().finally(giveBack),
      // TypeORM's Postgres runner releases with an error to make the pool drop the connection;
      // the method is public at run time but not in its typings.
      discard: () =>
        (runner as unknown as Discardable)
          .releasePostgresConnection(new Error('session discarded'))
          .finally(giveBack),
    };
  }

  private async takeFromBudget(): Promise<void> {
    const taken = this.budget.acquire().then(() => true);
    const inTime = await Promise.race([taken, sleep(SESSION_WAIT_MS, false, { ref: false })]);
    if (inTime) return;
    // The token still comes, later: give it straight back.
    void taken.then(() => this.budget.release());
    throw new StoreUnavailableError(
      `all ${this.sessionBudget} PostgreSQL sessions are busy (migrations, checks, backups); try again once one ends`,
      { sessionBudget: this.sessionBudget },
    );
  }

  /** Runs `work` on a session of its own, released afterwards whatever happens. */
  async withSession<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const session = await this.open();
    try {
      return await work(session.client);
    } finally {
      await session.release();
    }
  }

  /**
   * Runs `work` in a transaction on the client (`begin` may set its isolation): committed
   * when `work` returns, rolled back when it throws (the error is rethrown).
   */
  async transaction<T>(client: PoolClient, work: () => Promise<T>, begin = 'BEGIN'): Promise<T> {
    await client.query(begin);
    try {
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs `work` in a transaction that `work` commits itself, with its last statement (a batch
   * commits together with its checkpoint: one round trip fewer than a separate COMMIT); rolled
   * back when `work` throws (the error is rethrown).
   */
  async transactionCommittedBy<T>(
    client: PoolClient,
    work: () => Promise<T>,
    begin = 'BEGIN',
  ): Promise<T> {
    await client.query(begin);
    try {
      return await work();
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Runs `work` in one consistent, read-only snapshot on the client: PostgreSQL refuses any write. */
  readOnlySnapshot<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
    return this.transaction(client, work, READ_ONLY_SNAPSHOT);
  }

  /** Runs `work` in a read-only snapshot on a session of its own, released afterwards. */
  withReadOnlySession<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withSession((client) => this.readOnlySnapshot(client, () => work(client)));
  }

  /**
   * The ledger of applied schema migrations, as a quoted SQL name: the host's DataSource keeps
   * it under its own `migrationsTableName` (TypeORM's default `migrations`).
   */
  schemaLedger(): string {
    return (this.dataSource.options.migrationsTableName ?? 'migrations')
      .split('.')
      .map((part) => `"${part.replace(/"/g, '""')}"`)
      .join('.');
  }

  /**
   * What the database has of the library's schema: the applied schema migrations, newest
   * first (null without a ledger), and whether the configured tenants table exists.
   */
  async schemaState(client: PoolClient): Promise<SchemaState> {
    const { rows } = await client.query<{ ledger: boolean; tenants: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS ledger, to_regclass($2) IS NOT NULL AS tenants',
      [this.schemaLedger(), this.options.tables.tenants],
    );
    const applied = rows[0].ledger
      ? (
          await client.query<{ name: string }>(
            `SELECT name FROM ${this.schemaLedger()} ORDER BY "timestamp" DESC, id DESC`,
          )
        ).rows.map((r) => r.name)
      : null;
    return { applied, tenantsTable: rows[0].tenants };
  }

  /**
   * Throws SchemaMissingError unless the library's newest schema migration has been applied
   * and the configured tenants table exists (a module configured with table names the
   * schema migrations did not create fails here, not in its first query).
   */
  async assertSchema(client: PoolClient): Promise<void> {
    const { applied, tenantsTable } = await this.schemaState(client);
    if (!applied?.includes(LATEST_SCHEMA_MIGRATION)) {
      throw new SchemaMissingError(
        'the database schema is missing or out of date: run `npm run db:migrate`',
        {
          expected: LATEST_SCHEMA_MIGRATION,
        },
      );
    }
    if (!tenantsTable) {
      const { tenants } = this.options.tables;
      throw new SchemaMissingError(
        `the tenants table ${tenants} (option tables.tenants) does not exist: the schema migrations were run with other table names; ` +
          'run them with the configured names (tenantMigrationSchemaMigrations(tables))',
        { expected: LATEST_SCHEMA_MIGRATION, table: tenants },
      );
    }
  }
}
