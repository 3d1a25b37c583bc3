import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { MigrationRunRepository } from '../migration/migration-run.repository.js';
import { MigrationRunEntity } from '../migration/migration-run.entity.js';
import {
  emptyCounts,
  type MigrationCounts,
  type MigrationRunStatus,
} from '../migration/migration.types.js';
import type { BackupService } from '../backup/backup.service.js';
import type { BackupSummary } from '../backup/backup.types.js';
import { StoreUnavailableError } from '../errors/index.js';
import type { IntegrityCheckRequest, IntegrityService } from './integrity.service.js';
import type { IntegrityReport, TenantDrift } from './integrity.types.js';
import type { TenantCounts, TenantStatsRepository } from './tenant-stats.repository.js';
import { ReportService } from './report.service.js';

const PREFIX = 'tenant:';

/** Yields the scripted key batches. */
class FakeReader implements Pick<RedisKeyspaceReader, 'keys'> {
  constructor(private readonly batchSizes: number[]) {}

  async *keys(): AsyncGenerator<Buffer[]> {
    for (const size of this.batchSizes) {
      await Promise.resolve();
      yield Array.from({ length: size }, (_, i) => Buffer.from(`${PREFIX}${i}`));
    }
  }
}

class FakeTenantStats implements Pick<TenantStatsRepository, 'counts'> {
  error: Error | undefined;
  result: TenantCounts = {
    total: 7,
    legacy: 3,
    enhanced: 2,
    app: 2,
    incomplete: 4,
    cleanedUp: 1,
    pendingWriteBacks: 2,
  };

  counts(): Promise<TenantCounts> {
    return this.error ? Promise.reject(this.error) : Promise.resolve(this.result);
  }
}

/** Newest first, as the repository answers; honours the limit. */
class FakeRuns implements Pick<MigrationRunRepository, 'latest'> {
  constructor(readonly runs: MigrationRunEntity[]) {}

  latest(limit: number): Promise<MigrationRunEntity[]> {
    return Promise.resolve(this.runs.slice(0, limit));
  }
}

class FakeBackups implements Pick<BackupService, 'list'> {
  constructor(readonly backups: BackupSummary[]) {}

  list(limit = 20): Promise<BackupSummary[]> {
    return Promise.resolve(this.backups.slice(0, limit));
  }
}

/** Finds `DRIFTS` tenants only in Redis, and lists them as the check would (0: all). */
class FakeIntegrity implements Pick<IntegrityService, 'check'> {
  check({ limit = 0 }: IntegrityCheckRequest = {}): Promise<IntegrityReport> {
    const drift = ALL_DRIFT.slice(0, limit === 0 ? undefined : limit);
    return Promise.resolve({ ...INTEGRITY, drift, truncated: drift.length < DRIFTS });
  }
}

const run = (
  id: string,
  status: MigrationRunStatus,
  counts: Partial<MigrationCounts> = {},
): MigrationRunEntity =>
  Object.assign(new MigrationRunEntity(), {
    id,
    kind: 'migrate',
    status,
    counts: { ...emptyCounts(), ...counts },
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: null,
  });

const backup = (id: string): BackupSummary => ({
  id,
  kind: 'redis',
  path: `/backups/${id}`,
  scope: PREFIX,
  source: { host: '127.0.0.1', port: 6379, database: '0' },
  entryCount: 1,
  totalBytes: 10,
  checksum: 'c',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  verifiedAt: null,
});

const DRIFTS = 150;
const ALL_DRIFT: TenantDrift[] = Array.from({ length: DRIFTS }, (_, i) => ({
  kind: 'only-in-redis',
  subdomain: `t${i}`,
  key: `${PREFIX}t${i}`,
}));

const INTEGRITY: IntegrityReport = {
  consistent: false,
  redisKeys: 192,
  valid: 192,
  invalid: 0,
  skipped: 0,
  postgresTenants: 42,
  cleanedUp: 0,
  matching: 42,
  onlyInRedis: DRIFTS,
  onlyInPostgres: 0,
  different: 0,
  drift: [],
  truncated: false,
  invalidRecords: [],
  durationMs: 1,
};

const setup = (runs: MigrationRunEntity[] = [], keyBatches: number[] = [3, 2]) => {
  const tenants = new FakeTenantStats();
  const integrity = new FakeIntegrity();
  const backups = Array.from({ length: 7 }, (_, i) => backup(`b${i}`));
  const service = new ReportService(
    { keyPrefix: PREFIX },
    new FakeReader(keyBatches),
    tenants,
    new FakeRuns(runs),
    new FakeBackups(backups),
    integrity,
  );
  return { service, tenants };
};

describe('ReportService.stats', () => {
  it('counts the keyspace and the stores, and shows the five most recent runs and backups', async () => {
    const runs = Array.from({ length: 7 }, (_, i) => run(`r${i}`, 'failed'));
    const { service } = setup(runs, [3, 2, 4]);
    const stats = await service.stats();
    assert.equal(stats.prefix, PREFIX);
    assert.equal(stats.redisKeys, 9);
    assert.equal(stats.postgresTenants, 7);
    assert.deepEqual(stats.bySourceFormat, { legacy: 3, enhanced: 2, app: 2 });
    assert.deepEqual(
      [stats.incompleteProfiles, stats.cleanedUpFromRedis, stats.pendingWriteBacks],
      [4, 1, 2],
    );
    assert.deepEqual(
      stats.lastRuns.map((r) => r.id),
      ['r0', 'r1', 'r2', 'r3', 'r4'],
    );
    assert.deepEqual(
      stats.backups.map((b) => b.id),
      ['b0', 'b1', 'b2', 'b3', 'b4'],
    );
    assert.ok(!Number.isNaN(Date.parse(stats.at)));
  });

  it('takes the success rate and the rejection summary from the newest completed run', async () => {
    const { service } = setup([
      run('running', 'running', { scanned: 10, migrated: 10 }),
      run('newest-completed', 'completed', {
        scanned: 8,
        migrated: 4,
        unchanged: 2,
        rejectedByReason: { 'invalid-json': 2 },
      }),
      run('older-completed', 'completed', { scanned: 5, migrated: 5 }),
    ]);
    const stats = await service.stats();
    assert.equal(stats.successRate, 0.75);
    assert.deepEqual(stats.lastRejectedByReason, { 'invalid-json': 2 });
    assert.deepEqual(stats.lastRuns[1], {
      id: 'newest-completed',
      status: 'completed',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      finishedAt: null,
      counts: {
        ...emptyCounts(),
        scanned: 8,
        migrated: 4,
        unchanged: 2,
        rejectedByReason: { 'invalid-json': 2 },
      },
    });
  });

  it('has no success rate without a completed run, or when that run scanned nothing', async () => {
    const none = await setup([run('r', 'failed', { scanned: 3 })]).service.stats();
    assert.equal(none.successRate, null);
    assert.deepEqual(none.lastRejectedByReason, {});
    const empty = await setup([run('r', 'completed')]).service.stats();
    assert.equal(empty.successRate, null);
  });

  it('passes a store failure on unchanged', async () => {
    const { service, tenants } = setup();
    const lost = new StoreUnavailableError('PostgreSQL went away');
    tenants.error = lost;
    await assert.rejects(service.stats(), (e: unknown) => e === lost);
  });
});

describe('ReportService.report', () => {
  it("lists 100 differences by default and counts the keyspace with the check's own scan", async () => {
    const { service } = setup([], [1000]);
    const report = await service.report();
    assert.equal(report.integrity.drift.length, 100);
    assert.equal(report.integrity.truncated, true);
    assert.equal(report.integrity.onlyInRedis, DRIFTS);
    assert.equal(report.stats.redisKeys, 192);
  });

  it('lists as many differences as asked (0: all)', async () => {
    const { service } = setup();
    assert.equal((await service.report(7)).integrity.drift.length, 7);
    const all = await service.report(0);
    assert.equal(all.integrity.drift.length, DRIFTS);
    assert.equal(all.integrity.truncated, false);
  });
});
