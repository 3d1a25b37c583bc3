/**
 * Real PostgreSQL and Redis for integration tests: each spec file gets its own database
 * (created fresh, schema migrated) and its own Redis key prefix, so files run in parallel.
 */
import 'reflect-metadata';
import pg from 'pg';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Test } from '@nestjs/testing';
import { Global, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import {
  buildDataSourceOptions,
  MigrationService,
  TENANT_REDIS,
  TenantMigrationModule,
  type TenantMigrationModuleOptions,
} from '#tenant-migration';

/**
 * This run's tag (set by scripts/run-tests.mjs): databases and key namespaces carry it, so two
 * runs of the suite on one machine (two checkouts, CI and a developer) never touch each other's
 * data; the runner drops what the run created.
 */
export const TEST_RUN = (process.env.TM_TEST_RUN ?? 'local')
  .replace(/[^a-z0-9]/gi, '')
  .toLowerCase();

/** The Redis key namespace of one spec file in this run, e.g. `tm-test:4242:cli:`. */
export const testNamespace = (name: string): string => `tm-test:${TEST_RUN}:${name}:`;

export const ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Redis database 11 by default: the suite keeps out of database 0, where an application's keys live. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

/**
 * Database 12 of the same Redis, for the specs that seed tens of thousands of keys (operations,
 * workers, timeouts): their keys make the server rehash, which changes the order SCAN returns
 * the other specs' keys in, and the specs in database 11 compare the order of two scans.
 */
export const BULK_REDIS_URL = (() => {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = '/12';
  return url.toString();
})();

export interface TestStores {
  databaseUrl: string;
  /** The tenant key prefix of this spec file, e.g. `tm-test:<run>:migration:subdomain:`. */
  prefix: string;
  redis: Redis;
  /** A direct client on the test database, for assertions. */
  db: pg.Client;
  /** Drops every key under this file's namespace. */
  clearRedis(): Promise<void>;
  /** Empties the tables (keeps the schema). */
  clearDatabase(): Promise<void>;
  close(): Promise<void>;
}

const withAdmin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
};

export const databaseUrlFor = (database: string): string => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/** Creates (or re-creates) `tm_<name>`, applies the schema migrations unless `schema: false`. */
export const createTestDatabase = async (name: string, { schema = true } = {}): Promise<string> => {
  const database = `tm_${TEST_RUN}_${name.replace(/[^a-z0-9_]/g, '_')}`;
  await withAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  });
  const url = databaseUrlFor(database);
  if (schema) {
    const dataSource = new DataSource(buildDataSourceOptions(url));
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();
  }
  return url;
};

/** Deletes every key matching the pattern, binary-safe (keys need not be UTF-8). */
export const deleteByPattern = async (redis: Redis, pattern: string): Promise<void> => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = String(next);
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
};

export const createTestStores = async (name: string): Promise<TestStores> => {
  const databaseUrl = await createTestDatabase(name);
  const namespace = testNamespace(name);
  const redis = new Redis(TEST_REDIS_URL);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const clearRedis = () => deleteByPattern(redis, `${namespace}*`);
  await clearRedis();
  return {
    databaseUrl,
    prefix: `${namespace}subdomain:`,
    redis,
    db,
    clearRedis,
    clearDatabase: async () => {
      await db.query(
        'TRUNCATE tenants, migration_exceptions, migration_runs, redis_cleanups, redis_write_backs, backups, audit_log, tenant_tombstones, migration_run_keys, tenant_operation_events, tenant_operations',
      );
    },
    close: async () => {
      await clearRedis();
      redis.disconnect();
      await db.end();
    },
  };
};

export interface MigrationContext {
  app: INestApplicationContext;
  migrations: MigrationService;
  close(): Promise<void>;
}

/** A Nest application context with the library wired to this file's stores. */
export const createMigrationContext = async (
  stores: TestStores,
  options: TenantMigrationModuleOptions = {},
): Promise<MigrationContext> => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ ...buildDataSourceOptions(stores.databaseUrl), retryAttempts: 0 }),
      RedisModule.forRoot({ type: 'single', url: TEST_REDIS_URL }),
      // The engine's specs run no operations: no job queue is started (the operation specs boot the apps).
      TenantMigrationModule.forRoot({
        keyPrefix: stores.prefix,
        operations: { mode: 'client' },
        ...options,
      }),
    ],
  }).compile();
  const app = await moduleRef.init();
  // @nestjs-modules/ioredis quits connections from a static set that the first app to close
  // empties; a spec with several contexts would keep the others' sockets (and the process) open.
  const redis = app.get<Redis>(TENANT_REDIS, { strict: false });
  const close = async () => {
    await app.close();
    if (redis.status !== 'end') redis.disconnect();
  };
  return { app, migrations: app.get(MigrationService), close };
};

/** The token under which `createContextOverRedis` provides the caller's client. */
const OWN_REDIS = 'TEST_OWN_REDIS';

@Global()
@Module({})
class OwnRedisModule {
  static with(redis: Redis): DynamicModule {
    return {
      module: OwnRedisModule,
      providers: [{ provide: OWN_REDIS, useValue: redis }],
      exports: [OWN_REDIS],
    };
  }
}

/**
 * A Nest application context with the library over a Redis client the caller owns (a private
 * server, a client whose answers a test holds, one that survives restarts): the library uses
 * it through `redisToken`, and closing the context leaves it to the caller.
 */
export const createContextOverRedis = async (
  databaseUrl: string,
  redis: Redis,
  options: TenantMigrationModuleOptions = {},
): Promise<INestApplicationContext> => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ ...buildDataSourceOptions(databaseUrl), retryAttempts: 0 }),
      OwnRedisModule.with(redis),
      TenantMigrationModule.forRoot({
        operations: { mode: 'client' },
        ...options,
        redisToken: OWN_REDIS,
      }),
    ],
  }).compile();
  return moduleRef.init();
};

export interface RedisKeySnapshot {
  type: string;
  dump: string;
  pttl: number;
}

/**
 * Every key under the pattern (named by its bytes in hex, so binary names are exact) with its
 * type, DUMP payload (hex) and TTL in 10-second buckets: a byte-exact picture of the keyspace.
 */
export const snapshotRedis = async (
  redis: Redis,
  pattern: string,
): Promise<Map<string, RedisKeySnapshot>> => {
  const snapshot = new Map<string, RedisKeySnapshot>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = String(next);
    for (const key of keys) {
      const [type, dump, pttl] = await Promise.all([
        redis.type(key),
        redis.dumpBuffer(key),
        redis.pttl(key),
      ]);
      snapshot.set(key.toString('hex'), {
        type,
        dump: dump?.toString('hex') ?? '',
        pttl: pttl > 0 ? Math.round(pttl / 10_000) : pttl,
      });
    }
  } while (cursor !== '0');
  return snapshot;
};
