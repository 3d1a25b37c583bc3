import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import {
  ConcurrentChangeError,
  InvalidOptionError,
  InvalidTenantRecordError,
  StoreUnavailableError,
  TenantNotFoundError,
} from '../errors/index.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { KeyspaceEntry } from '../source/keyspace-entry.js';
import type { RedisTenantKeysRepository } from '../source/redis-tenant-keys.repository.js';
import type { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import type { StagedTenant } from '../migration/tenant-merge.types.js';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { redisValueOf } from '../tenants/tenant-row.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation/validation.types.js';
import type { IntegrityService } from './integrity.service.js';
import { emptyBatch, fake, recordingLock } from './integrity.spec-fakes.js';
import type { IntegrityReport } from './integrity.types.js';
import { decideSync, type SyncFacts } from './sync-decision.js';
import type { SyncRepository, SyncRow } from './sync.repository.js';
import { SyncWriter } from './sync-writer.js';
import { TenantSyncService } from './sync-tenant.service.js';
import { SyncService } from './sync.service.js';
import type { SyncRequest, SyncResult, SyncTarget } from './sync.types.js';

const KEY = 'tenant:pizza';

/** The row of a tenant migrated from KEY with value hash `h1`, unchanged since. */
const syncRow = (overrides: Partial<SyncRow> = {}): SyncRow => ({
  id: '00000000-0000-4000-8000-000000000001',
  subdomain: 'pizza',
  emoji: '🍕',
  created_ms: '1700000000000',
  business_name: null,
  business_category: 'Food & Beverage',
  business_description: null,
  owner_name: null,
  email: null,
  phone: null,
  address: null,
  logo: null,
  brand_colors: null,
  feature_whatsapp: false,
  feature_home_visit: false,
  feature_analytics: false,
  feature_custom_templates: false,
  feature_multi_staff: false,
  subscription_plan: 'basic',
  subscription_status: 'active',
  expires_ms: null,
  profile_complete: false,
  source_format: 'legacy',
  source_key: KEY,
  source_hash: 'h1',
  changed_in_postgres: false,
  updated_us: '1700000000000000',
  ...overrides,
});

const facts = (overrides: Partial<SyncFacts> = {}): SyncFacts => ({
  subdomain: 'pizza',
  key: KEY,
  row: syncRow(),
  vanished: false,
  candidate: { record: { subdomain: 'pizza', sourceHash: 'h1' } },
  redisProblems: [],
  wasCleanedUp: () => Promise.resolve(false),
  fromWriteBackQueue: false,
  prefixKey: KEY,
  ...overrides,
});

const decide = async (overrides: Partial<SyncFacts>, request: SyncRequest = {}) => {
  const { direction, change, reason } = await decideSync(facts(overrides), request);
  return [direction, change, reason];
};

const redisChanged = { candidate: { record: { subdomain: 'pizza', sourceHash: 'h2' } } };
const postgresChanged = { row: syncRow({ changed_in_postgres: true }) };
const invalid: OutcomeReason = { code: 'invalid-json', message: 'the value is not JSON' };

describe('decideSync: which side wins', () => {
  it('does nothing when the stores agree', async () => {
    assert.deepEqual(await decide({}), ['none', 'none', 'the stores already agree on this tenant']);
  });

  it('takes the only copy: Redis when PostgreSQL has no row', async () => {
    assert.deepEqual(await decide({ row: null }), [
      'redis-to-postgres',
      'write',
      'only Redis has the tenant',
    ]);
  });

  it('takes the side that changed since the last migration', async () => {
    assert.deepEqual(await decide(redisChanged), [
      'redis-to-postgres',
      'write',
      'Redis changed since the last migration',
    ]);
    assert.deepEqual(await decide(postgresChanged), [
      'postgres-to-redis',
      'write',
      'PostgreSQL changed since the last migration',
    ]);
  });

  it('writes PostgreSQL back over an invalid Redis record', async () => {
    assert.deepEqual(await decide({ candidate: undefined, redisProblems: [invalid] }), [
      'postgres-to-redis',
      'write',
      'the Redis record is invalid; PostgreSQL has a valid one',
    ]);
  });

  it('refuses when both changed and no side is preferred; prefer decides otherwise', async () => {
    const both = { ...redisChanged, ...postgresChanged };
    await assert.rejects(
      decideSync(facts(both), {}),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.message ===
          'both stores changed "pizza" since its last migration; choose the side that wins with prefer redis or prefer postgres',
    );
    assert.deepEqual(await decide(both, { prefer: 'redis' }), [
      'redis-to-postgres',
      'write',
      'both changed; Redis preferred',
    ]);
    assert.deepEqual(await decide(both, { prefer: 'postgres' }), [
      'postgres-to-redis',
      'write',
      'both changed; PostgreSQL preferred',
    ]);
  });

  it('refuses an invalid record only Redis has, with the reasons', async () => {
    await assert.rejects(
      decideSync(facts({ row: null, candidate: undefined, redisProblems: [invalid] }), {}),
      (e: unknown) =>
        e instanceof InvalidOptionError &&
        e.message === '"pizza" is only in Redis and its record is invalid: the value is not JSON',
    );
  });

  it('refuses a key naming another tenant, and a subdomain two keys claim', async () => {
    await assert.rejects(
      decideSync(facts({ candidate: { record: { subdomain: 'tacos', sourceHash: 'h1' } } }), {}),
      (e: unknown) =>
        e instanceof InvalidTenantRecordError &&
        e.message === 'key tenant:pizza names tenant "tacos", not "pizza"',
    );
    const conflict: OutcomeReason = { code: 'subdomain-conflict', message: 'claimed twice' };
    await assert.rejects(
      decideSync(
        facts({ key: 'tenant:Pizza', candidate: undefined, redisProblems: [conflict] }),
        {},
      ),
      (e: unknown) =>
        e instanceof InvalidTenantRecordError &&
        /claimed by two Redis keys, tenant:Pizza and tenant:pizza/.test(e.message),
    );
  });
});

describe('decideSync: a key gone from Redis', () => {
  const gone = { vanished: true, candidate: undefined };

  it('deletes the row when PostgreSQL did not change the tenant', async () => {
    assert.deepEqual((await decide(gone)).slice(0, 2), ['redis-to-postgres', 'delete']);
  });

  it('writes back a tenant that was never migrated from this key', async () => {
    assert.deepEqual(await decide({ ...gone, row: syncRow({ source_key: 'tenant:other' }) }), [
      'postgres-to-redis',
      'write',
      'only PostgreSQL has the tenant (it was not migrated from this key)',
    ]);
  });

  it('follows no deletion cleanup made on purpose, unless PostgreSQL changed since', async () => {
    const cleaned = { ...gone, wasCleanedUp: () => Promise.resolve(true) };
    assert.deepEqual((await decide(cleaned)).slice(0, 2), ['none', 'none']);
    assert.deepEqual((await decide({ ...cleaned, ...postgresChanged })).slice(0, 2), [
      'postgres-to-redis',
      'write',
    ]);
  });

  it('asks whether cleanup deleted the key only for a key the row came from', async () => {
    let asked = 0;
    const counting = () => {
      asked++;
      return Promise.resolve(false);
    };
    await decide({ ...gone, row: syncRow({ source_key: 'tenant:other' }), wasCleanedUp: counting });
    await decide({ wasCleanedUp: counting });
    assert.equal(asked, 0);
    await decide({ ...gone, wasCleanedUp: counting });
    assert.equal(asked, 1);
  });

  it('counts a queued write-back as a PostgreSQL change: both changed, prefer decides', async () => {
    const queued = { ...gone, fromWriteBackQueue: true };
    await assert.rejects(decideSync(facts(queued), {}), InvalidOptionError);
    assert.deepEqual(await decide(queued, { prefer: 'redis' }), [
      'redis-to-postgres',
      'delete',
      'both changed (deleted or expired in Redis, a PostgreSQL write Redis missed is queued); Redis preferred',
    ]);
    assert.deepEqual(await decide({ ...gone, ...postgresChanged }, { prefer: 'postgres' }), [
      'postgres-to-redis',
      'write',
      'both changed (deleted or expired in Redis, edited in PostgreSQL); PostgreSQL preferred',
    ]);
  });
});

/**
 * The stores of one tenant sync, held in memory: the PostgreSQL row, the Redis key's value,
 * and every write the sync makes, in order.
 */
class FakeStores {
  row: SyncRow | null = syncRow();
  /** The key's value in Redis; null when it is gone. */
  value: string | null = 'v1';
  cleanedUp = false;
  /** What the guarded writes find: false makes them fail as if the store changed meanwhile. */
  rowUnchanged = true;
  keyUnchanged = true;
  keyBack = false;
  unwritten = new Set<string>();
  readonly writes: string[] = [];
  fetched: string[] = [];

  readonly client = {} as PoolClient;

  readonly sessions = fake<PostgresSessionFactory>({
    open: () =>
      Promise.resolve({
        client: this.client,
        release: () => Promise.resolve(),
        discard: () => Promise.resolve(),
      }),
    withSession: (work) => work(this.client),
    transaction: async (_client, work) => {
      this.writes.push('begin');
      const result = await work();
      this.writes.push('commit');
      return result;
    },
  });

  readonly store = fake<SyncRepository>({
    readRow: () => Promise.resolve(this.row),
    fence: () => Promise.resolve('fence-1'),
    wasCleanedUp: () => Promise.resolve(this.cleanedUp),
    deleteIfUnchanged: (_client, row, overrides) => {
      this.writes.push(`delete ${row.subdomain} overrides=${overrides}`);
      return Promise.resolve(this.rowUnchanged);
    },
    merge: (_client, staged: StagedTenant[], fence) => {
      this.writes.push(`merge ${staged.map((s) => s.key).join(',')} ${fence}`);
      return Promise.resolve(this.unwritten);
    },
    markDeleted: (_client, subdomain, key) => {
      this.writes.push(`tombstone ${subdomain} ${key}`);
      return Promise.resolve();
    },
    markWritten: (_client, subdomain, key, value) => {
      this.writes.push(`written ${subdomain} ${key} ${value}`);
      return Promise.resolve();
    },
    settle: (_client, subdomain) => {
      this.writes.push(`settle ${subdomain}`);
      return Promise.resolve();
    },
  });

  readonly reader = fake<RedisKeyspaceReader>({
    fetch: (keys) => {
      this.fetched = [...keys];
      return Promise.resolve(
        keys.map((key): KeyspaceEntry =>
          this.value === null
            ? { key, kind: 'vanished' }
            : { key, kind: 'value', value: Buffer.from(this.value) },
        ),
      );
    },
    exist: (keys) => Promise.resolve(keys.map(() => this.keyBack)),
  });

  /** Classifies a value `v<n>` as tenant pizza with hash `h<n>`, and `bad` as invalid. */
  readonly classifier = fake<KeyspaceClassifier>({
    classify: ({ entries }) => {
      const batch = emptyBatch(entries);
      for (const entry of entries) {
        if (entry.kind !== 'value') {
          batch.exceptions.push({ key: entry.key, bucket: 'skipped', reasons: [] });
        } else if (entry.value.toString() === 'bad') {
          batch.exceptions.push({ key: entry.key, bucket: 'rejected', reasons: [invalid] });
        } else {
          const record = {
            subdomain: 'pizza',
            sourceHash: entry.value.toString().replace('v', 'h'),
          } as TenantRecord;
          batch.candidates.push({ key: entry.key, record, notes: [] });
        }
      }
      return Promise.resolve(batch);
    },
  });

  readonly redisKeys = fake<RedisTenantKeysRepository>({
    compareAndSet: (key, current, value) => {
      this.writes.push(`set ${key} if ${current?.toString() ?? 'absent'} to ${value}`);
      return Promise.resolve(this.keyUnchanged);
    },
  });

  tenantSync(): TenantSyncService {
    return new TenantSyncService(
      { keyPrefix: 'tenant:', maxValueBytes: 1024 } as ResolvedTenantMigrationOptions,
      new TenantValidator(DEFAULT_VALIDATION_SETTINGS),
      this.sessions,
      this.store,
      this.reader,
      this.classifier,
      new SyncWriter(this.sessions, this.store, this.reader, this.redisKeys),
    );
  }
}

describe('TenantSyncService: one tenant, decided and applied', () => {
  const sync = (stores: FakeStores, request: SyncRequest = {}, queued = false) =>
    stores.tenantSync().reconcile({ subdomain: 'pizza' }, request, queued);

  it('writes nothing in a dry run, and answers what it would do', async () => {
    const stores = new FakeStores();
    stores.value = 'v2';
    const result = await sync(stores, { dryRun: true });
    assert.deepEqual(result, {
      subdomain: 'pizza',
      key: 'tenant:pizza',
      direction: 'redis-to-postgres',
      change: 'write',
      reason: 'Redis changed since the last migration',
      dryRun: true,
    });
    assert.deepEqual(stores.writes, []);
  });

  it('reads the key the row was migrated from, whatever its case', async () => {
    const stores = new FakeStores();
    stores.row = syncRow({ source_key: 'tenant:Pizza' });
    const result = await sync(stores, { dryRun: true });
    assert.deepEqual([stores.fetched, result.key], [['tenant:Pizza'], 'tenant:Pizza']);
  });

  it('merges a Redis change through the fence taken before Redis was read', async () => {
    const stores = new FakeStores();
    stores.value = 'v2';
    await sync(stores);
    assert.deepEqual(stores.writes, ['begin', 'merge tenant:pizza fence-1', 'commit']);
    stores.writes.length = 0;
    stores.unwritten = new Set(['pizza']);
    await assert.rejects(
      sync(stores),
      (e: unknown) => e instanceof ConcurrentChangeError && /nothing was written/.test(e.message),
    );
    assert.deepEqual(stores.writes, ['begin', 'merge tenant:pizza fence-1']);
  });

  it('writes a PostgreSQL change to Redis only if the key still holds what was read', async () => {
    const stores = new FakeStores();
    stores.row = syncRow({ changed_in_postgres: true });
    const value = redisValueOf(stores.row);
    await sync(stores);
    assert.deepEqual(stores.writes, [
      `set tenant:pizza if v1 to ${value}`,
      `written pizza tenant:pizza ${value}`,
    ]);
    stores.writes.length = 0;
    stores.keyUnchanged = false;
    await assert.rejects(
      sync(stores),
      (e: unknown) => e instanceof ConcurrentChangeError && /changed in Redis/.test(e.message),
    );
    assert.deepEqual(stores.writes, [`set tenant:pizza if v1 to ${value}`], 'nothing recorded');
  });

  it('follows a deleted key: compare-and-delete, tombstone and settle in one transaction', async () => {
    const stores = new FakeStores();
    stores.value = null;
    const result = await sync(stores);
    assert.deepEqual([result.direction, result.change], ['redis-to-postgres', 'delete']);
    assert.deepEqual(stores.writes, [
      'begin',
      'delete pizza overrides=false',
      'tombstone pizza tenant:pizza',
      'settle pizza',
      'commit',
    ]);
  });

  it('deletes nothing when the row changed or the key came back meanwhile', async () => {
    const stores = new FakeStores();
    stores.value = null;
    stores.rowUnchanged = false;
    await assert.rejects(
      sync(stores),
      (e: unknown) => e instanceof ConcurrentChangeError && /changed in PostgreSQL/.test(e.message),
    );
    assert.deepEqual(stores.writes, ['begin', 'delete pizza overrides=false']);
    stores.writes.length = 0;
    stores.rowUnchanged = true;
    stores.keyBack = true;
    await assert.rejects(
      sync(stores),
      (e: unknown) => e instanceof ConcurrentChangeError && /written to Redis/.test(e.message),
    );
    assert.ok(!stores.writes.some((w) => w.startsWith('tombstone')), 'no tombstone');
  });

  it('settles a queued tenant gone from both stores, but not in a dry run', async () => {
    const stores = new FakeStores();
    stores.row = null;
    stores.value = null;
    await assert.rejects(sync(stores, { dryRun: true }, true), TenantNotFoundError);
    assert.deepEqual(stores.writes, []);
    await assert.rejects(
      sync(stores, {}, true),
      (e: unknown) =>
        e instanceof TenantNotFoundError &&
        e.message === 'tenant "pizza" exists in neither Redis nor PostgreSQL',
    );
    assert.deepEqual(stores.writes, ['settle pizza']);
  });

  it('settles a queued tenant the stores already agree on', async () => {
    const stores = new FakeStores();
    assert.equal((await sync(stores, {}, true)).direction, 'none');
    assert.deepEqual(stores.writes, ['settle pizza']);
  });
});

describe('SyncService: picking the tenants, collecting refusals', () => {
  /** A service whose tenant syncs answer from `outcomes` (an error is thrown). */
  const service = (outcomes: Record<string, SyncResult | Error>, pending: string[] = []) => {
    const calls: { target: SyncTarget; request: SyncRequest; queued: boolean }[] = [];
    const locks: string[] = [];
    const audited: string[] = [];
    const tenants = fake<TenantSyncService>({
      reconcile: (target, request, queued) => {
        calls.push({ target, request, queued });
        const outcome = outcomes[target.subdomain];
        return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
      },
    });
    const drift = Object.keys(outcomes).map((subdomain) => ({ subdomain, key: `k:${subdomain}` }));
    const syncs = new SyncService(
      fake<IntegrityService>({
        check: () => Promise.resolve({ drift } as IntegrityReport),
      }),
      fake<PostgresSessionFactory>({ withSession: (work) => work({} as PoolClient) }),
      fake<SyncRepository>({ pending: () => Promise.resolve(pending) }),
      tenants,
      fake<AuditRepository>({
        around: async (entry, operation) => {
          audited.push(`${entry.action} ${String(entry.params.subdomain)}`);
          return operation();
        },
      }),
      recordingLock(locks),
    );
    return { syncs, calls, locks, audited };
  };
  const synced = (subdomain: string, direction: SyncResult['direction']): SyncResult => ({
    subdomain,
    key: `k:${subdomain}`,
    direction,
    change: direction === 'none' ? 'none' : 'write',
    reason: 'why',
    dryRun: false,
  });

  it('syncs every drifted tenant from its key, counting directions and collecting refusals', async () => {
    const { syncs, calls, locks, audited } = service({
      pizza: synced('pizza', 'redis-to-postgres'),
      tacos: new InvalidOptionError('both stores changed "tacos"', {}),
      salon: synced('salon', 'postgres-to-redis'),
    });
    const result = await syncs.syncAllDrifted();
    assert.deepEqual(
      [result.drifted, result.synced, result.byDirection, result.byChange, result.refused],
      [
        3,
        2,
        { 'redis-to-postgres': 1, 'postgres-to-redis': 1 },
        { write: 2 },
        [{ subdomain: 'tacos', reason: 'both stores changed "tacos"' }],
      ],
    );
    assert.deepEqual(
      calls.map((c) => c.target.key),
      ['k:pizza', 'k:tacos', 'k:salon'],
    );
    assert.deepEqual(locks, ['sync'], 'one lock for the whole run');
    assert.deepEqual(audited, ['sync pizza', 'sync tacos', 'sync salon']);
  });

  it('takes no lock in a dry run', async () => {
    const { syncs, locks } = service({ pizza: synced('pizza', 'none') });
    await syncs.sync('pizza', { dryRun: true });
    await syncs.syncAllDrifted({ dryRun: true });
    assert.deepEqual(locks, []);
  });

  it('stops at an unreachable store and at an unexpected error', async () => {
    const down = new StoreUnavailableError('Redis is unavailable: down', {});
    await assert.rejects(service({ pizza: down }).syncs.syncAllDrifted(), down);
    const bug = new TypeError('boom');
    await assert.rejects(service({ pizza: bug }).syncs.syncAllDrifted(), bug);
  });

  it('replays the queue preferring PostgreSQL, settling tenants gone since without refusing them', async () => {
    const gone = new TenantNotFoundError(
      'tenant "tacos" exists in neither Redis nor PostgreSQL',
      {},
    );
    const { syncs, calls } = service({ pizza: synced('pizza', 'postgres-to-redis'), tacos: gone }, [
      'pizza',
      'tacos',
    ]);
    const result = await syncs.syncPending();
    assert.deepEqual([result.drifted, result.synced, result.refused], [2, 1, []]);
    assert.deepEqual(
      calls.map((c) => [c.target.subdomain, c.request.prefer, c.queued]),
      [
        ['pizza', 'postgres', true],
        ['tacos', 'postgres', true],
      ],
    );
    const redisWins = service({ pizza: synced('pizza', 'none') }, ['pizza']);
    await redisWins.syncs.syncPending({ prefer: 'redis' });
    assert.equal(redisWins.calls[0].request.prefer, 'redis');
  });

  it('refuses a tenant gone from both stores when it is not a queue replay', async () => {
    const gone = new TenantNotFoundError(
      'tenant "tacos" exists in neither Redis nor PostgreSQL',
      {},
    );
    const result = await service({ tacos: gone }).syncs.syncAllDrifted();
    assert.deepEqual(result.refused, [{ subdomain: 'tacos', reason: gone.message }]);
  });
});
