import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { withTimeout } from '../common/with-timeout.js';
import { redactUrl } from '../common/redact-url.js';
import {
  LATEST_SCHEMA_MIGRATION,
  TENANT_MIGRATION_SCHEMA_MIGRATIONS,
} from '../database/schema-migrations.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { StoreUnavailableError } from '../errors/index.js';
import { describeError, TestLog } from './self-test-log.js';
import { SelfTestPostgresRepository } from './self-test-postgres.repository.js';
import { SelfTestRedisRepository } from './self-test-redis.repository.js';

/** SCAN pages (of about 1,000 keys) the connectivity check reads at most to find a tenant key. */
const SCAN_PAGES = 20;
const SCAN_PAGE_KEYS = 1000;

/**
 * Test 1, database connectivity: PostgreSQL answers, its schema is the latest and has the
 * configured tenants table; Redis answers PING; the tenant keys are readable (SCAN). If the
 * host has not connected its DataSource yet (the CLI connects on demand), it is connected,
 * unless connecting would run schema migrations or synchronize.
 */
@Injectable()
export class ConnectivityTest {
  private connecting: Promise<void> | null = null;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
    private readonly sessions: PostgresSessionFactory,
    private readonly postgres: SelfTestPostgresRepository,
    private readonly redis: SelfTestRedisRepository,
  ) {}

  /** Both stores at once; the report lists PostgreSQL's lines first, then Redis's. */
  async run(log: TestLog, timeoutMs: number): Promise<void> {
    const [postgres, redis] = [new TestLog(), new TestLog()];
    await Promise.all([this.checkPostgres(postgres, timeoutMs), this.checkRedis(redis, timeoutMs)]);
    log.append(postgres);
    log.append(redis);
  }

  private async checkPostgres(log: TestLog, timeoutMs: number): Promise<void> {
    let found: {
      version: string;
      database: string;
      applied: string[] | null;
      tenantsTable: boolean;
    };
    const { tenants } = this.options.tables;
    try {
      await withTimeout(
        this.connectPostgres(),
        timeoutMs,
        `PostgreSQL at ${this.postgresTarget()}`,
      );
      found = await withTimeout(
        this.sessions.withReadOnlySession(async (client) => ({
          ...(await this.postgres.server(client)),
          ...(await this.sessions.schemaState(client)),
        })),
        timeoutMs,
        `PostgreSQL at ${this.postgresTarget()}`,
      );
    } catch (error) {
      log.fail(`PostgreSQL does not answer: ${describeError(error)}`);
      return;
    }
    log.detail(`PostgreSQL ${found.version} answers (database ${found.database})`);
    const { applied } = found;
    if (applied === null || applied.length === 0) {
      log.fail(
        'the database schema is missing (no schema migration applied): run `npm run db:migrate`',
      );
    } else if (!applied.includes(LATEST_SCHEMA_MIGRATION)) {
      log.fail(
        `the database schema is out of date (newest applied ${applied[0]}, expected ${LATEST_SCHEMA_MIGRATION}): run \`npm run db:migrate\``,
      );
    } else {
      log.detail(`the schema is at ${LATEST_SCHEMA_MIGRATION} (the latest)`);
      if (!found.tenantsTable) {
        log.fail(
          `the tenants table ${tenants} (option tables.tenants) does not exist: the schema migrations were run with other table names`,
        );
      }
      const known = new Set(TENANT_MIGRATION_SCHEMA_MIGRATIONS.map((m) => m.name));
      const unknown = applied.filter((name) => !known.has(name));
      if (unknown.length > 0)
        log.warn(
          `the database has schema migrations this build does not know: ${unknown.join(', ')}`,
        );
    }
  }

  private async checkRedis(log: TestLog, timeoutMs: number): Promise<void> {
    const where = this.redis.target();
    const target = `Redis at ${where}`;
    try {
      await this.redis.ready(timeoutMs);
      const pong = await withTimeout(this.redis.ping(), timeoutMs, target);
      if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
    } catch (error) {
      log.fail(`${target} does not answer PING: ${describeError(error)}`);
      return;
    }
    const info = await withTimeout(this.redis.serverInfo(), timeoutMs, target).catch(() => '');
    const version = /^redis_version:(\S+)/m.exec(info)?.[1];
    log.detail(`Redis ${version ?? '(version not reported)'} answers PING (${where})`);
    const { keyPrefix } = this.options;
    try {
      // A few pages at most: a large database can hold many keys before the first tenant key.
      let cursor = '0';
      let found = false;
      for (let page = 0; page < SCAN_PAGES && !found; page++) {
        const [next, keys] = await withTimeout(
          this.redis.scanPage(keyPrefix, cursor, SCAN_PAGE_KEYS),
          timeoutMs,
          target,
        );
        found = keys.length > 0;
        cursor = next;
        if (cursor === '0') break;
      }
      log.detail(
        `the tenant keys under "${keyPrefix}" are readable (SCAN answered${found ? ', keys found' : ''})`,
      );
    } catch (error) {
      log.fail(`SCAN of the tenant keys under "${keyPrefix}" failed: ${describeError(error)}`);
    }
  }

  /** Connects the host's DataSource if it is not yet (once, shared by concurrent calls). */
  private connectPostgres(): Promise<void> {
    if (this.dataSource.isInitialized) return Promise.resolve();
    const { synchronize, migrationsRun, dropSchema } = this.dataSource.options;
    if (synchronize || migrationsRun || dropSchema) {
      return Promise.reject(
        new Error(
          'the DataSource is not connected, and connecting it would change the schema (synchronize or migrationsRun)',
        ),
      );
    }
    this.connecting ??= this.dataSource
      .initialize()
      .then(() => undefined)
      .catch((error: unknown) => {
        throw new StoreUnavailableError(
          `cannot reach PostgreSQL at ${this.postgresTarget()}`,
          {},
          { cause: error },
        );
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** Where PostgreSQL is, without credentials. */
  private postgresTarget(): string {
    const options = this.dataSource.options as {
      url?: string;
      host?: string;
      port?: number;
      database?: string;
    };
    if (options.url) return redactUrl(options.url);
    return `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
  }
}
