import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PoolClient } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { SchemaMissingError, StoreUnavailableError } from '../errors/index.js';
import { LATEST_SCHEMA_MIGRATION } from '../database/index.js';

/**
 * A dedicated PostgreSQL connection from the host's pool, held for the length of one run:
 * session-level advisory locks and the COPY staging table live on one connection.
 */
export interface PostgresSession {
  readonly client: PoolClient;
  release(): Promise<void>;
}

@Injectable()
export class PostgresSessionFactory {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
  ) {}

  async open(): Promise<PostgresSession> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    let client: PoolClient;
    try {
      client = (await runner.connect()) as PoolClient;
    } catch (error) {
      await runner.release().catch(() => undefined);
      throw new StoreUnavailableError('cannot connect to PostgreSQL', {}, { cause: error });
    }
    return { client, release: () => runner.release() };
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
   * Throws SchemaMissingError unless the library's newest schema migration has been applied
   * and the configured tenants table exists (a module configured with table names the
   * schema migrations did not create fails here, not in its first query).
   */
  async assertSchema(client: PoolClient): Promise<void> {
    const { tenants } = this.options.tables;
    const { rows } = await client.query<{ ledger: boolean; tenants: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS ledger, to_regclass($2) IS NOT NULL AS tenants',
      [this.schemaLedger(), tenants],
    );
    const found = rows[0];
    const applied =
      found?.ledger === true &&
      (await client.query(`SELECT 1 FROM ${this.schemaLedger()} WHERE name = $1`, [LATEST_SCHEMA_MIGRATION])).rowCount === 1;
    if (!applied) {
      throw new SchemaMissingError('the database schema is missing or out of date: run `npm run db:migrate`', {
        expected: LATEST_SCHEMA_MIGRATION,
      });
    }
    if (found?.tenants !== true) {
      throw new SchemaMissingError(
        `the tenants table ${tenants} (option tables.tenants) does not exist: the schema migrations were run with other table names; ` +
          'run them with the configured names (tenantMigrationSchemaMigrations(tables))',
        { expected: LATEST_SCHEMA_MIGRATION, table: tenants },
      );
    }
  }
}

