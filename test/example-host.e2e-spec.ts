import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackupService,
  CleanupService,
  type EnhancedTenant,
  InvalidOptionError,
  MigrationLockedError,
  type MigrationResult,
  MigrationTests,
  resolveOptions,
  SyncService,
  MigrationUtils,
  TenantMigrationModule,
  TenantLookupService,
  TenantMigrationService,
  TenantResolver,
  TenantService,
  type TenantWriteResult,
} from '#tenant-migration';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import { PlatformAppModule, type PlatformSettings } from './example-host/platform-app.module.js';
import type { PlatformStaffGuard } from './example-host/platform-auth.js';
import { TenantsController } from './example-host/tenants.controller.js';
import { createTestStores, TEST_REDIS_URL, type TestStores } from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';
import {
  bodyOf,
  messageOf,
  type ProblemBody,
  type RunStartedBody,
  type StatusBody,
} from './support/body.js';
import { settledRun } from './support/run-polling.js';

const STAFF_KEY = 'staff-key-of-the-platform';

/**
 * An ordinary Nest platform (test/example-host) that imports the module through forRootAsync
 * with its own named TypeORM connection, its own Redis client token, its own guard and its
 * own routes: the public surface, used from outside the library.
 */
describe('a host platform importing TenantMigrationModule', () => {
  let stores: TestStores;
  let app: INestApplication<Server>;
  const key = (name: string) => `${stores.prefix}${name}`;

  const boot = async (
    overrides: Partial<PlatformSettings> = {},
  ): Promise<INestApplication<Server>> => {
    const settings: PlatformSettings = {
      databaseUrl: stores.databaseUrl,
      redisUrl: TEST_REDIS_URL,
      keyPrefix: stores.prefix,
      staffKey: STAFF_KEY,
      mountAdmin: true,
      ...overrides,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [PlatformAppModule.register(settings)],
    }).compile();
    return moduleRef.createNestApplication<INestApplication<Server>>({ logger: false }).init();
  };

  before(async () => {
    // The platform's own connection applies the schema (into its own ledger table) at start-up.
    stores = await createTestStores('example_host');
    await stores.db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    app = await boot();
  });
  after(async () => {
    await app.close();
    await stores.close();
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
  });

  it('applied the schema through the host connection, under the host ledger', async () => {
    const { rows } = await stores.db.query<{ name: string }>(
      'SELECT name FROM platform_schema_migrations ORDER BY id',
    );
    assert.ok(rows.length >= 4);
    assert.equal(
      (
        await stores.db.query<{ t: string | null }>(
          `SELECT to_regclass('tenant_migrate_schema_migrations') AS t`,
        )
      ).rows[0].t,
      null,
    );
  });

  describe("the platform's own routes", () => {
    it('find a legacy tenant in Redis, migrated on the fly, in the enhanced shape', async () => {
      await stores.redis.set(key('pizza'), legacy('🍕', 1700000000123));
      const response = await request(app.getHttpServer()).get('/tenants/Pizza').expect(200);
      const tenant = bodyOf<EnhancedTenant>(response);
      assert.equal(tenant.subdomain, 'pizza');
      assert.equal(tenant.emoji, '🍕');
      assert.equal(tenant.createdAt, 1700000000123);
      assert.equal(tenant.profileComplete, false);
      const { rows } = await stores.db.query(
        `SELECT source_key FROM tenants WHERE subdomain = 'pizza'`,
      );
      assert.deepEqual(rows, [{ source_key: key('pizza') }]);
    });

    it('answer 404 for a missing tenant and 400 for an invalid subdomain (the library error filter)', async () => {
      await request(app.getHttpServer()).get('/tenants/nobody').expect(404);
      const invalid = await request(app.getHttpServer()).get('/tenants/bad_name').expect(400);
      assert.equal(bodyOf<ProblemBody>(invalid).error, 'invalid-subdomain');
      await stores.redis.set(key('broken'), '{"emoji": 42}');
      const broken = await request(app.getHttpServer()).get('/tenants/broken').expect(422);
      assert.match(messageOf(broken), /invalid/);
    });

    it('create and update tenants in PostgreSQL while Redis keeps the legacy value', async () => {
      const created = await request(app.getHttpServer())
        .post('/tenants')
        .send({
          subdomain: 'bakery',
          emoji: '🥐',
          createdAt: 1700000000000,
          businessName: 'Bakery',
        })
        .expect(201);
      assert.equal(bodyOf<TenantWriteResult>(created).writeBack, 'written');
      assert.equal(await stores.redis.get(key('bakery')), legacy('🥐'));
      await request(app.getHttpServer()).patch('/tenants/bakery').send({ emoji: '🥖' }).expect(200);
      assert.equal(await stores.redis.get(key('bakery')), legacy('🥖'));
      const conflict = await request(app.getHttpServer())
        .post('/tenants')
        .send({ subdomain: 'bakery', emoji: '🍞' })
        .expect(409);
      assert.equal(bodyOf<ProblemBody>(conflict).error, 'tenant-exists');
      const invalid = await request(app.getHttpServer())
        .post('/tenants')
        .send({ subdomain: 'shop', emoji: '🍞', email: 'nope' })
        .expect(400);
      assert.equal(bodyOf<ProblemBody>(invalid).error, 'invalid-tenant');
    });
  });

  describe("the original system's programmatic API, injected", () => {
    it('migrateAllTenants, checkDataIntegrity, getSubdomainDataWithFallback, getMigrationStats, runAllTests', async () => {
      await stores.redis.set(key('tacos'), legacy('🌮'));
      await stores.redis.set(
        key('sushi'),
        JSON.stringify({
          emoji: '🍣',
          createdAt: 1700000000000,
          businessName: 'Sushi',
          email: 'sushi@example.com',
        }),
      );
      const service = app.get(TenantMigrationService);
      const result = await service.migrateAllTenants();
      assert.deepEqual(
        [result.counts.scanned, result.counts.migrated, result.balanced],
        [2, 2, true],
      );
      assert.equal((await service.checkDataIntegrity()).consistent, true);
      assert.equal((await service.getSubdomainDataWithFallback('sushi'))?.businessName, 'Sushi');
      const stats = await app.get(MigrationUtils).getMigrationStats();
      assert.deepEqual([stats.redisKeys, stats.postgresTenants], [2, 2]);
      const tests = await app.get(MigrationTests).runAllTests();
      assert.equal(tests.passed, true, JSON.stringify(tests.tests.filter((t) => !t.passed)));
      const resolver = app.get(TenantResolver);
      const resolverOf = (holder: object): unknown => (holder as { resolver?: unknown }).resolver;
      for (const [holder, name] of [
        [app.get(TenantsController), "the host's TenantsController"],
        [app.get(TenantService), 'TenantService'],
        [app.get(TenantMigrationService), 'TenantMigrationService'],
      ] as const)
        assert.equal(
          resolverOf(holder),
          resolver,
          `${name} was given the module's one resolver (its single flight is per process)`,
        );
    });
  });

  describe('the admin API, mounted where the host chose, behind its guard', () => {
    it('refuses a caller the host guard refuses', async () => {
      await request(app.getHttpServer())
        .get('/internal/tenant-migration?action=status')
        .expect(403);
      await request(app.getHttpServer())
        .get('/internal/tenant-migration?action=status')
        .set('x-staff-key', 'wrong')
        .expect(403);
    });

    it('answers staff, validates the request and maps errors', async () => {
      await stores.redis.set(key('ramen'), legacy('🍜'));
      const status = await request(app.getHttpServer())
        .get('/internal/tenant-migration?action=status')
        .set('x-staff-key', STAFF_KEY)
        .expect(200);
      assert.deepEqual(bodyOf<StatusBody>(status), { lastRun: null });
      await request(app.getHttpServer())
        .get('/internal/tenant-migration?action=nonsense')
        .set('x-staff-key', STAFF_KEY)
        .expect(400);
      await request(app.getHttpServer())
        .post('/internal/tenant-migration')
        .set('x-staff-key', STAFF_KEY)
        .send({ action: 'dry-run', unknownProperty: true })
        .expect(400);
      const dry = await request(app.getHttpServer())
        .post('/internal/tenant-migration')
        .set('x-staff-key', STAFF_KEY)
        .send({ action: 'dry-run' })
        .expect(200);
      assert.equal(bodyOf<MigrationResult>(dry).counts.migrated, 1);
      const started = await request(app.getHttpServer())
        .post('/internal/tenant-migration')
        .set('x-staff-key', STAFF_KEY)
        .send({ action: 'migrate' })
        .expect(202);
      assert.equal(
        started.headers.location,
        `/internal/tenant-migration/runs/${bodyOf<RunStartedBody>(started).runId}`,
      );
      const run = await settledRun(
        () =>
          request(app.getHttpServer()).get(started.headers.location).set('x-staff-key', STAFF_KEY),
        'the host-mounted migration',
        { intervalMs: 50 },
      );
      assert.equal(run.status, 'completed', run.error ?? undefined);
      assert.equal(
        (
          await stores.db.query<{ emoji: string }>(
            `SELECT emoji FROM tenants WHERE subdomain = 'ramen'`,
          )
        ).rows[0]?.emoji,
        '🍜',
      );
      await request(app.getHttpServer())
        .get('/internal/tenant-migration/runs/00000000-0000-4000-8000-000000000000')
        .set('x-staff-key', STAFF_KEY)
        .expect(404);
    });

    it('is not mounted unless asked for', async () => {
      const bare = await boot({ mountAdmin: false });
      try {
        await request(bare.getHttpServer())
          .get('/internal/tenant-migration?action=status')
          .set('x-staff-key', STAFF_KEY)
          .expect(404);
        await stores.redis.set(key('pho'), legacy('🍲'));
        await request(bare.getHttpServer()).get('/tenants/pho').expect(200);
      } finally {
        await bare.close();
      }
    });

    it('is never mounted without a guard', () => {
      assert.throws(
        () =>
          TenantMigrationModule.forRoot({
            admin: { guard: undefined as unknown as typeof PlatformStaffGuard },
          }),
        InvalidOptionError,
      );
    });
  });

  describe('with its own table names, in a schema of its own', () => {
    const tables = {
      tenants: 'tenancy.tenants',
      migrationRuns: 'tenancy.runs',
      migrationExceptions: 'tenancy.run_exceptions',
      backups: 'tenancy.backup_files',
      redisCleanups: 'tenancy.cleaned_keys',
      redisWriteBacks: 'tenancy.write_back_queue',
      auditLog: 'tenancy.audit',
      tenantTombstones: 'tenancy.tombstones',
      migrationRunKeys: 'tenancy.run_keys',
      operations: 'tenancy.operations',
      operationEvents: 'tenancy.operation_events',
    };
    let named: INestApplication<Server>;
    let backupDir: string;

    before(async () => {
      backupDir = await mkdtemp(join(tmpdir(), 'tm-host-backups-'));
      // A platform of its own in the same database: its own tables, and its own migrations ledger.
      named = await boot({
        tables,
        backupDir,
        mountAdmin: false,
        migrationsTableName: 'tenancy_platform_migrations',
      });
    });
    after(async () => {
      await named.close();
      await stores.db.query(
        'DROP SCHEMA IF EXISTS tenancy CASCADE; DROP TABLE IF EXISTS tenancy_platform_migrations',
      );
      await rm(backupDir, { recursive: true, force: true });
    });

    it('creates and uses only the tables it was given', async () => {
      const { rows } = await stores.db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'tenancy' ORDER BY 1`,
      );
      assert.deepEqual(
        rows.map((r) => r.name),
        [
          'audit',
          'backup_files',
          'cleaned_keys',
          'operation_events',
          'operations',
          'run_exceptions',
          'run_keys',
          'runs',
          'tenants',
          'tombstones',
          'write_back_queue',
        ],
      );

      await stores.redis.set(key('pizza'), legacy('🍕'));
      await stores.redis.set(key('broken'), '{"emoji": 42}');
      const service = named.get(TenantMigrationService);
      const run = await service.migrateAllTenants();
      assert.deepEqual([run.counts.migrated, run.counts.rejected], [1, 1]);
      assert.equal(
        (
          await stores.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tenancy.run_exceptions',
          )
        ).rows[0].n,
        1,
      );
      assert.equal(
        (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.runs'))
          .rows[0].n,
        1,
      );
      assert.equal((await service.checkDataIntegrity()).consistent, true);

      await stores.redis.set(key('tacos'), legacy('🌮'));
      await request(named.getHttpServer()).get('/tenants/tacos').expect(200);
      await request(named.getHttpServer())
        .post('/tenants')
        .send({ subdomain: 'bakery', emoji: '🥐' })
        .expect(201);
      await request(named.getHttpServer())
        .patch('/tenants/bakery')
        .send({ emoji: '🥖' })
        .expect(200);
      assert.deepEqual(
        (await stores.db.query('SELECT subdomain FROM tenancy.tenants ORDER BY 1')).rows.map(
          (r: { subdomain: string }) => r.subdomain,
        ),
        ['bakery', 'pizza', 'tacos'],
      );

      await stores.db.query(`UPDATE tenancy.tenants SET emoji = '🍟' WHERE subdomain = 'pizza'`);
      await stores.db.query(
        `INSERT INTO tenancy.write_back_queue (subdomain, key, last_error) VALUES ('pizza', $1, 'down')`,
        [key('pizza')],
      );
      assert.equal((await named.get(MigrationUtils).getMigrationStats()).pendingWriteBacks, 1);
      assert.equal((await named.get(SyncService).syncPending()).synced, 1);
      assert.equal(await stores.redis.get(key('pizza')), legacy('🍟'));

      const backup = await named.get(BackupService).backupPostgres({ actor: 'host' });
      assert.equal(backup.entryCount, 3);
      assert.equal(
        (
          await stores.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tenancy.backup_files',
          )
        ).rows[0].n,
        1,
      );
      const redisBackup = await named.get(BackupService).backupRedis({ actor: 'host' });
      await named.get(BackupService).verify(redisBackup.id, { actor: 'host' });
      assert.equal(
        (
          await stores.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tenancy.backup_files WHERE verified_at IS NOT NULL',
          )
        ).rows[0].n,
        1,
      );
      const cleanup = await named.get(CleanupService).cleanup({ dryRun: false, actor: 'host' });
      assert.ok(cleanup.deleted >= 1, JSON.stringify(cleanup));
      assert.ok(
        (
          await stores.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM tenancy.cleaned_keys',
          )
        ).rows[0].n >= 1,
      );
      assert.ok(
        (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.audit'))
          .rows[0].n >= 2,
      );
      assert.equal((await service.checkDataIntegrity()).consistent, true);
      // A lookup reads the same tables: the tenant cleanup deleted from Redis, with its synced
      // write-back gone from the queue and the sync in the audit log; the rejected key's quarantine.
      const lookups = named.get(TenantLookupService);
      const pizza = await lookups.lookup('pizza');
      assert.equal(pizza.state, 'only-in-postgres');
      assert.equal(pizza.cleanedUp, true);
      assert.equal(pizza.postgres?.emoji, '🍟');
      assert.deepEqual(pizza.history.writeBacks, []);
      assert.deepEqual(
        pizza.history.audit.map((entry) => entry.action),
        ['sync'],
      );
      const broken = await lookups.lookup('broken');
      assert.equal(broken.state, 'invalid-in-redis');
      assert.deepEqual(
        broken.history.exceptions.map((e) => [e.key, e.bucket]),
        [[key('broken'), 'rejected']],
      );
      const selfTest = await named.get(MigrationTests).runAllTests();
      assert.equal(selfTest.passed, true, JSON.stringify(selfTest.tests.filter((t) => !t.passed)));

      // Nothing went to the default tables of the first platform.
      assert.equal(
        (await stores.db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.tenants'))
          .rows[0].n,
        0,
      );
      assert.equal(
        (
          await stores.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM public.migration_runs',
          )
        ).rows[0].n,
        0,
      );
    });

    it('locks migrations per tenants table: a run into the default tables does not block this one', async () => {
      await stores.db.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, ['tenants']);
      try {
        const run = await named.get(TenantMigrationService).migrateAllTenants();
        assert.equal(run.status, 'completed');
        await stores.db.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, [
          tables.tenants,
        ]);
        await assert.rejects(
          named.get(TenantMigrationService).migrateAllTenants(),
          MigrationLockedError,
        );
      } finally {
        await stores.db.query('SELECT pg_advisory_unlock_all()');
      }
    });

    it('refuses names that are not plain identifiers', () => {
      assert.throws(
        () => resolveOptions({ tables: { tenants: 'tenants; DROP TABLE x' } }),
        InvalidOptionError,
      );
    });
  });
});
