/**
 * The tenants table's lock: one exclusive lock per table (however its name is written), never
 * left behind on a pooled connection, and taken by every operation that changes what the
 * others decide on (migrate, restore-postgres, sync, cleanup). The HTTP / CLI mapping of a
 * refusal (409, exit 3) is tested in admin.e2e-spec.ts and cli.e2e-spec.ts.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import {
  BackupService,
  buildDataSourceOptions,
  CleanupService,
  MigrationLockedError,
  MigrationService,
  SchemaMissingError,
  StoreUnavailableError,
  SyncService,
  TENANT_REDIS,
  TENANT_TABLE_COLUMNS,
  TenantMigrationModule,
} from '#tenant-migration';
import type { Redis } from 'ioredis';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import {
  createMigrationContext,
  createTestDatabase,
  createTestStores,
  snapshotRedis,
  TEST_REDIS_URL,
  type MigrationContext,
  type RedisKeySnapshot,
  type TestStores,
} from './support/test-stores.js';
import { ENHANCED, legacy } from './support/tenant-fixtures.js';

/**
 * The advisory-lock key of a tenants table, as SQL over the parameter `$1` and its value:
 * exactly what the library locks, so a plain client holding it stands for another operation.
 */
const lockKeyOf = (table: string): { sql: string; params: unknown[] } => ({
  sql: tableLockKeySql('$1'),
  params: [table],
});

/**
 * Closes a context and then its Redis connection: @nestjs-modules/ioredis quits connections
 * from a static set the first closed app empties, so the connection of every other app of this
 * process would stay open (and keep the test process alive).
 */
const closeApp = async (app: INestApplicationContext): Promise<void> => {
  const redis = app.get<Redis>(TENANT_REDIS, { strict: false });
  await app.close();
  if (redis.status !== 'end') redis.disconnect();
};

/** A plain PostgreSQL session (not the library's pool) holding the lock of `table`. */
interface LockHolder {
  release(): Promise<void>;
}

describe('the tenants table lock', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let backupDir: string;
  const key = (name: string) => `${stores.prefix}${name}`;

  const holdLock = async (table: string): Promise<LockHolder> => {
    const client = new pg.Client({ connectionString: stores.databaseUrl });
    await client.connect();
    const { sql, params } = lockKeyOf(table);
    await client.query(`SELECT pg_advisory_lock(${sql})`, params);
    return {
      release: async () => {
        const { rows } = await client.query<{ unlocked: boolean }>(
          `SELECT pg_advisory_unlock(${sql}) AS unlocked`,
          params,
        );
        assert.equal(rows[0]?.unlocked, true, 'the holder still held the lock it took');
        await client.end();
      },
    };
  };

  /** Whether a fresh session can take the lock of `table` at once (taken and released again). */
  const lockIsFree = async (table: string): Promise<boolean> => {
    const client = new pg.Client({ connectionString: stores.databaseUrl });
    await client.connect();
    try {
      const { sql, params } = lockKeyOf(table);
      const { rows } = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${sql}) AS locked`,
        params,
      );
      if (rows[0]?.locked) await client.query(`SELECT pg_advisory_unlock(${sql})`, params);
      return rows[0]?.locked === true;
    } finally {
      await client.end();
    }
  };

  /** Advisory locks held in this spec's database by any session (whatever their key). */
  const advisoryLocksHeld = async (): Promise<number> => {
    const { rows } = await stores.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows[0].n;
  };

  const count = async (table: string): Promise<number> =>
    Number((await stores.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  /** Every row with its row version: any write (even of equal values) changes `xmin`. */
  const tenantRows = async (): Promise<Record<string, unknown>[]> =>
    (
      await stores.db.query<Record<string, unknown>>(
        'SELECT *, xmin::text AS version FROM tenants ORDER BY subdomain',
      )
    ).rows;

  /** The columns a PostgreSQL backup holds, for comparing a restored table with its backup. */
  const backedUpColumns = async (): Promise<Record<string, unknown>[]> =>
    (
      await stores.db.query<Record<string, unknown>>(
        `SELECT ${TENANT_TABLE_COLUMNS.join(', ')} FROM tenants ORDER BY subdomain`,
      )
    ).rows;

  const redisKeys = (): Promise<Map<string, RedisKeySnapshot>> =>
    snapshotRedis(stores.redis, `${stores.prefix}*`);

  before(async () => {
    stores = await createTestStores('table_lock');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-table-lock-'));
    ctx = await createMigrationContext(stores, { backupDir });
  });
  after(async () => {
    await ctx.close();
    await stores.close();
    await rm(backupDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮', 1700000000123));
    await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
  });

  describe('one lock per table, however its name is written', () => {
    let qualified: MigrationContext;
    before(async () => {
      qualified = await createMigrationContext(stores, { tables: { tenants: 'public.tenants' } });
    });
    after(async () => {
      await closeApp(qualified.app);
    });

    // `tenants` and `public.tenants` are one table: a lock keyed by the name's text would let two
    // migrations into it run at once.
    for (const [held, configured] of [
      ['tenants', 'public.tenants'],
      ['public.tenants', 'tenants'],
    ] as const) {
      it(`refuses a migration into ${configured} while ${held} is locked`, async () => {
        const target = configured === 'tenants' ? ctx : qualified;
        const holder = await holdLock(held);
        try {
          await assert.rejects(
            target.migrations.migrate(),
            MigrationLockedError,
            `a migration configured with ${configured} must be refused`,
          );
          assert.equal(await count('tenants'), 0, 'the refused migration wrote no tenant');
          assert.equal(await count('migration_runs'), 0, 'the refused migration recorded no run');
        } finally {
          await holder.release();
        }
        const result = await target.migrations.migrate();
        assert.equal(result.counts.migrated, 3, 'runs once the lock is free');
        assert.equal(await lockIsFree(held), true, 'the finished run left the lock free');
      });
    }
  });

  it('never leaves the lock on a pooled connection when a session cannot be opened', async () => {
    // A pool of one connection: the run gets its first session and can never open the next one.
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(stores.databaseUrl),
          retryAttempts: 0,
          extra: { max: 1, connectionTimeoutMillis: 300 },
        }),
        RedisModule.forRoot({ type: 'single', url: TEST_REDIS_URL }),
        TenantMigrationModule.forRoot({ keyPrefix: stores.prefix, operations: { mode: 'client' } }),
      ],
    }).compile();
    const tiny: INestApplicationContext = await moduleRef.init();
    try {
      await assert.rejects(
        tiny.get(MigrationService).migrate(),
        StoreUnavailableError,
        'the run cannot get the sessions it needs',
      );
      // Checked while the tiny pool (and its one connection) is still alive: a lock left on it
      // would be held until that connection closes, and refuse every later operation.
      assert.equal(
        await lockIsFree('tenants'),
        true,
        'another session takes the table lock at once',
      );
      assert.equal(await advisoryLocksHeld(), 0, 'no session holds any advisory lock');
      const result = await ctx.migrations.migrate();
      assert.equal(result.counts.migrated, 3, 'a migration through another pool is not refused');
    } finally {
      await closeApp(tiny);
    }
  });

  describe('restore-postgres, sync and cleanup take the same lock', () => {
    let backups: BackupService;
    let sync: SyncService;
    let cleanup: CleanupService;
    let postgresBackup: string;
    let atBackup: Record<string, unknown>[];

    before(() => {
      backups = ctx.app.get(BackupService);
      sync = ctx.app.get(SyncService);
      cleanup = ctx.app.get(CleanupService);
    });
    beforeEach(async () => {
      await ctx.migrations.migrate();
      postgresBackup = (await backups.backupPostgres()).id;
      atBackup = await backedUpColumns();
      const redisBackup = (await backups.backupRedis()).id;
      assert.equal((await backups.verify(redisBackup)).ok, true);
      // Changed in Redis after both backups: pizza and tacos drift (sync has work to do), the
      // other keys are unchanged and migrated (cleanup has keys it may delete), and PostgreSQL
      // will differ from its backup once a sync writes (restore has rows to replace).
      await stores.redis.set(key('pizza'), legacy('🍔'));
      await stores.redis.set(key('tacos'), legacy('🌯', 1700000000123));
    });

    /**
     * Runs `operation` while a plain session holds the table lock: it must be refused with
     * MigrationLockedError naming itself, and leave both stores exactly as they were.
     */
    const refusedWhileLocked = async (
      name: string,
      operation: () => Promise<unknown>,
    ): Promise<void> => {
      const [rowsBefore, keysBefore] = [await tenantRows(), await redisKeys()];
      const holder = await holdLock('tenants');
      try {
        await assert.rejects(
          operation(),
          (error: unknown) => {
            assert.ok(
              error instanceof MigrationLockedError,
              `${name} is refused with MigrationLockedError, got ${String(error)}`,
            );
            assert.match(error.message, new RegExp(`^${name} cannot start`));
            return true;
          },
          `${name} must be refused while another session holds the table lock`,
        );
      } finally {
        await holder.release();
      }
      assert.deepEqual(
        await tenantRows(),
        rowsBefore,
        `the refused ${name} wrote nothing to PostgreSQL`,
      );
      assert.deepEqual(await redisKeys(), keysBefore, `the refused ${name} wrote nothing to Redis`);
    };

    /** Runs `operation` while the table is locked: a dry run decides without the lock. */
    const whileLocked = async <T>(operation: () => Promise<T>): Promise<T> => {
      const holder = await holdLock('tenants');
      try {
        return await operation();
      } finally {
        await holder.release();
      }
    };

    it('restore-postgres', async () => {
      await sync.sync('pizza');
      assert.notDeepEqual(await backedUpColumns(), atBackup, 'PostgreSQL differs from its backup');
      await refusedWhileLocked('restore-postgres', () =>
        backups.restorePostgres(postgresBackup, { dryRun: false }),
      );

      const preview = await whileLocked(() =>
        backups.restorePostgres(postgresBackup, { dryRun: true }),
      );
      assert.deepEqual([preview.dryRun, preview.rowsInBackup, preview.rowsReplaced], [true, 3, 3]);

      const restored = await backups.restorePostgres(postgresBackup, { dryRun: false });
      assert.deepEqual(
        [restored.dryRun, restored.rowsInBackup, restored.rowsReplaced],
        [false, 3, 3],
      );
      assert.deepEqual(
        await backedUpColumns(),
        atBackup,
        'once the lock is free the restore replaces the table with its backup',
      );
    });

    it('sync of one tenant, of every drifted tenant, and of the write-back queue', async () => {
      await refusedWhileLocked('sync', () => sync.sync('pizza'));
      await refusedWhileLocked('sync', () => sync.syncAllDrifted());
      await refusedWhileLocked('sync', () => sync.syncPending());

      const one = await whileLocked(() => sync.sync('pizza', { dryRun: true }));
      assert.deepEqual(
        [one.dryRun, one.direction, one.change],
        [true, 'redis-to-postgres', 'write'],
      );
      const all = await whileLocked(() => sync.syncAllDrifted({ dryRun: true }));
      assert.deepEqual([all.dryRun, all.drifted, all.synced], [true, 2, 2]);

      const synced = await sync.sync('pizza');
      assert.deepEqual(
        [synced.dryRun, synced.direction, synced.change],
        [false, 'redis-to-postgres', 'write'],
      );
      assert.equal(
        (
          await stores.db.query<{ emoji: string }>(
            `SELECT emoji FROM tenants WHERE subdomain = 'pizza'`,
          )
        ).rows[0]?.emoji,
        '🍔',
      );
      const rest = await sync.syncAllDrifted();
      assert.deepEqual(
        [rest.drifted, rest.synced, rest.refused],
        [1, 1, []],
        'tacos is what is left to sync',
      );
      assert.equal(
        (
          await stores.db.query<{ emoji: string }>(
            `SELECT emoji FROM tenants WHERE subdomain = 'tacos'`,
          )
        ).rows[0]?.emoji,
        '🌯',
      );
      const pending = await sync.syncPending();
      assert.equal(pending.refused.length, 0);
    });

    it('cleanup', async () => {
      await refusedWhileLocked('cleanup', () => cleanup.cleanup({ dryRun: false }));

      const preview = await whileLocked(() => cleanup.cleanup({ dryRun: true }));
      assert.deepEqual(
        [preview.dryRun, preview.deleted, preview.keptByReason],
        [true, 1, { 'changed-since-backup': 2 }],
      );
      assert.equal(await stores.redis.exists(key('salon')), 1, 'a dry run deletes nothing');

      const done = await cleanup.cleanup({ dryRun: false });
      assert.deepEqual(
        [done.dryRun, done.deleted, done.keptByReason],
        [false, 1, { 'changed-since-backup': 2 }],
      );
      assert.equal(
        await stores.redis.exists(key('salon')),
        0,
        'once the lock is free the unchanged, migrated key is deleted',
      );
      assert.equal(await stores.redis.exists(key('pizza')), 1);
    });
  });

  it('says the schema is missing (not that the lock is held) when the database or the configured table has none', async () => {
    const bare = await createMigrationContext({
      ...stores,
      databaseUrl: await createTestDatabase('table_lock_bare', { schema: false }),
    });
    try {
      await assert.rejects(bare.migrations.migrate(), SchemaMissingError);
    } finally {
      await bare.close();
    }
    const elsewhere = await createMigrationContext(stores, {
      tables: { tenants: 'tenancy.tenants' },
    });
    try {
      await assert.rejects(elsewhere.migrations.migrate(), SchemaMissingError);
    } finally {
      await elsewhere.close();
    }
  });
});
