/** The stores and the admin app an operations spec file runs against, set up and removed by its hooks. */
import { after, before, beforeEach } from 'node:test';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { INestApplication } from '@nestjs/common';
import {
  BULK_REDIS_URL,
  createTestDatabase,
  deleteByPattern,
  testNamespace,
} from './test-stores.js';
import { closeAdminApp, startAdminApp } from './admin-app.js';
import { operationsApi, seedTenants, type OperationsApi } from './operations.js';

/** What a migration and the operations write: emptied before each test unless told otherwise. */
const OPERATION_TABLES =
  'tenants, migration_runs, migration_run_keys, migration_exceptions, tenant_operation_events, tenant_operations';

export interface OperationsApp {
  /** The key prefix of the seeded tenants (`<namespace>subdomain:`). */
  readonly prefix: string;
  readonly app: INestApplication<Server>;
  readonly redis: Redis;
  readonly db: pg.Client;
  readonly databaseUrl: string;
  /** The app's backup folder. */
  readonly dir: string;
  readonly api: OperationsApi;
}

/**
 * For one spec file (call it in its `describe`): `tenants` legacy tenants seeded in the bulk
 * Redis under the file's namespace, a database of its own, and the admin app in this process
 * with its embedded worker (heartbeat 100 ms) and a backup folder. With `emptyEachTest`
 * (default), the migration's and the operations' tables are emptied before each test. All of it
 * goes in the file's `after`.
 */
export const useOperationsApp = (
  name: string,
  {
    tenants,
    token,
    emptyEachTest = true,
  }: { tenants: number; token: string; emptyEachTest?: boolean },
): OperationsApp => {
  const namespace = testNamespace(name);
  const parts: {
    app?: INestApplication<Server>;
    redis?: Redis;
    db?: pg.Client;
    databaseUrl?: string;
    dir?: string;
  } = {};
  const required = <K extends keyof typeof parts>(key: K): NonNullable<(typeof parts)[K]> => {
    const value = parts[key];
    if (value === undefined) throw new Error(`the operations app's ${key} is not set up yet`);
    return value;
  };
  const stores: OperationsApp = {
    prefix: `${namespace}subdomain:`,
    get app() {
      return required('app');
    },
    get redis() {
      return required('redis');
    },
    get db() {
      return required('db');
    },
    get databaseUrl() {
      return required('databaseUrl');
    },
    get dir() {
      return required('dir');
    },
    api: operationsApi(() => required('app').getHttpServer(), token),
  };

  before(async () => {
    parts.redis = new Redis(BULK_REDIS_URL);
    await deleteByPattern(parts.redis, `${namespace}*`);
    await seedTenants(parts.redis, stores.prefix, tenants);
    parts.databaseUrl = await createTestDatabase(name);
    parts.db = new pg.Client({ connectionString: parts.databaseUrl });
    await parts.db.connect();
    parts.dir = await mkdtemp(join(tmpdir(), `tm-${name}-`));
    parts.app = await startAdminApp({
      DATABASE_URL: parts.databaseUrl,
      REDIS_URL: BULK_REDIS_URL,
      TENANT_KEY_PREFIX: stores.prefix,
      ADMIN_TOKEN: token,
      BACKUP_DIR: parts.dir,
      OPERATION_HEARTBEAT_MS: '100',
    });
  });

  if (emptyEachTest)
    beforeEach(async () => {
      await required('db').query(`TRUNCATE ${OPERATION_TABLES}`);
    });

  after(async () => {
    await closeAdminApp(parts.app);
    await parts.db?.end();
    if (parts.redis) {
      await deleteByPattern(parts.redis, `${namespace}*`);
      parts.redis.disconnect();
    }
    if (parts.dir) await rm(parts.dir, { recursive: true, force: true });
  });

  return stores;
};
