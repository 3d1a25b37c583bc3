import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { InvalidSubdomainError, TenantNotFoundError } from '../errors/index.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type {
  InspectedKey,
  RedisTenantKeysRepository,
} from '../source/redis-tenant-keys.repository.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import type { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import type { StagedTenant } from '../migration/tenant-merge.types.js';
import { sourceHashOf } from '../tenants/tenant-mapper.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation/validation.types.js';
import { fake } from './integrity.spec-fakes.js';
import type { LookupRow, TenantLookupRepository } from './tenant-lookup.repository.js';
import { TenantLookupService } from './tenant-lookup.service.js';

const PREFIX = 't:';
const OPTIONS = { keyPrefix: PREFIX, maxValueBytes: 65_536 } as ResolvedTenantMigrationOptions;
const LEGACY = '{"emoji":"🍕","createdAt":1700000000000}';
const CLIENT = fake<PoolClient>({});

/** The row of tenant `pizza`, migrated from `t:pizza` with the value LEGACY, unchanged since. */
const row = (over: Partial<LookupRow> = {}): LookupRow => ({
  id: '00000000-0000-4000-8000-000000000001',
  subdomain: 'pizza',
  emoji: '🍕',
  createdAt: new Date(1700000000000),
  businessName: null,
  businessCategory: 'Other',
  businessDescription: null,
  ownerName: null,
  email: null,
  phone: null,
  address: null,
  logo: null,
  brandColors: null,
  featureWhatsapp: false,
  featureHomeVisit: false,
  featureAnalytics: false,
  featureCustomTemplates: false,
  featureMultiStaff: false,
  subscriptionPlan: 'basic',
  subscriptionStatus: 'active',
  subscriptionExpiresAt: null,
  profileComplete: false,
  sourceFormat: 'legacy',
  sourceId: null,
  sourceKey: `${PREFIX}pizza`,
  sourceHash: sourceHashOf(LEGACY),
  migratedAt: new Date(1700000001000),
  updatedAt: new Date(1700000001000),
  changedInPostgres: false,
  ...over,
});

const stringKey = (value: string | Buffer): InspectedKey => {
  const bytes = Buffer.from(value);
  return { type: 'string', ttlMs: null, bytes: bytes.length, head: bytes };
};

/** Both stores in memory: keys by name, rows by subdomain; what was compared is recorded. */
const lookupOver = (stores: {
  keys?: Record<string, InspectedKey>;
  rows?: Record<string, LookupRow>;
  differs?: boolean;
}) => {
  const inspected: string[] = [];
  const compared: StagedTenant[] = [];
  const validator = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);
  const classifier = new KeyspaceClassifier(
    OPTIONS,
    fake<RedisKeyspaceReader>({
      exist: (keys) => Promise.resolve(keys.map((k) => stores.keys?.[k] !== undefined)),
    }),
    validator,
    fake<PostgresSessionFactory>({}),
    fake<TenantMergeRepository>({}),
  );
  const repository = fake<TenantLookupRepository>({
    row: (_client, subdomain) => Promise.resolve(stores.rows?.[subdomain] ?? null),
    compare: (_client, staged) => {
      compared.push(staged);
      const differs = stores.differs ?? false;
      return Promise.resolve({
        differs,
        fields: differs ? [{ field: 'emoji', redis: '🌮', postgres: '🍕' }] : [],
      });
    },
    wasCleanedUp: () => Promise.resolve(false),
    exceptions: () => Promise.resolve([]),
    audit: () => Promise.resolve([]),
    pendingWriteBacks: () => Promise.resolve([]),
  });
  const service = new TenantLookupService(
    OPTIONS,
    validator,
    fake<PostgresSessionFactory>({
      withReadOnlySession: (work) => work(CLIENT),
      assertSchema: () => Promise.resolve(),
    }),
    repository,
    fake<RedisTenantKeysRepository>({
      inspect: (key) => {
        inspected.push(key);
        return Promise.resolve(stores.keys?.[key] ?? null);
      },
    }),
    classifier,
  );
  return { service, inspected, compared };
};

describe('TenantLookupService', () => {
  it('compares a valid record with its row by the check, and shows both', async () => {
    const { service, compared } = lookupOver({
      keys: { 't:pizza': stringKey(LEGACY) },
      rows: { pizza: row() },
    });
    const found = await service.lookup('Pizza');
    assert.equal(found.subdomain, 'pizza');
    assert.equal(found.key, 't:pizza');
    assert.equal(found.state, 'matching');
    assert.equal(found.redis?.text, LEGACY);
    assert.equal(found.redis?.mapped?.emoji, '🍕');
    assert.deepEqual(found.redis?.reasons, []);
    assert.equal(found.postgres?.subdomain, 'pizza');
    assert.ok(found.postgres && !('changedInPostgres' in found.postgres));
    assert.equal(found.changedInRedis, false);
    assert.equal(found.changedInPostgres, false);
    assert.equal(compared.length, 1);
    assert.equal(compared[0].key, 't:pizza');
    assert.deepEqual(found.history.migratedAt, new Date(1700000001000));
  });

  it('says which fields differ and which side changed', async () => {
    const { service } = lookupOver({
      keys: { 't:pizza': stringKey('{"emoji":"🌮","createdAt":1700000000000}') },
      rows: { pizza: row({ changedInPostgres: true }) },
      differs: true,
    });
    const found = await service.lookup('pizza');
    assert.equal(found.state, 'different');
    assert.deepEqual(found.fields, [{ field: 'emoji', redis: '🌮', postgres: '🍕' }]);
    assert.equal(found.changedInRedis, true);
    assert.equal(found.changedInPostgres, true);
  });

  it('reads the key the row was migrated from', async () => {
    const { service, inspected } = lookupOver({
      keys: { 't:PIZZA': stringKey(LEGACY) },
      rows: { pizza: row({ sourceKey: 't:PIZZA' }) },
    });
    const found = await service.lookup('pizza');
    assert.deepEqual(inspected, ['t:PIZZA']);
    assert.equal(found.key, 't:PIZZA');
    assert.equal(found.state, 'matching');
    assert.deepEqual(
      found.redis?.notes.map((n) => n.code),
      ['renamed-subdomain'],
    );
  });

  it('sets a record apart, as the check does, when its row came from a key of another prefix', async () => {
    const { service, compared } = lookupOver({
      keys: { 't:pizza': stringKey(LEGACY) },
      rows: { pizza: row({ sourceKey: 'old:pizza' }) },
    });
    const found = await service.lookup('pizza');
    assert.equal(found.state, 'invalid-in-redis');
    assert.equal(found.redis?.mapped, null);
    assert.deepEqual(
      found.redis?.reasons.map((r) => r.code),
      ['subdomain-conflict'],
    );
    assert.equal(compared.length, 0);
  });

  it('gives the reasons a migration rejects a value for, with the value as hex when it is not UTF-8', async () => {
    const { service } = lookupOver({ keys: { 't:pizza': stringKey(Buffer.from([0xff, 0xfe])) } });
    const found = await service.lookup('pizza');
    assert.equal(found.state, 'invalid-in-redis');
    assert.equal(found.redis?.text, null);
    assert.equal(found.redis?.hexPrefix, 'fffe');
    assert.deepEqual(
      found.redis?.reasons.map((r) => r.code),
      ['invalid-utf8'],
    );
    assert.equal(found.postgres, null);
    assert.equal(found.changedInRedis, null);
    assert.equal(found.changedInPostgres, null);
  });

  it('reads no value of another type', async () => {
    const { service } = lookupOver({
      keys: { 't:pizza': { type: 'hash', ttlMs: 5000, bytes: null, head: null } },
      rows: { pizza: row() },
    });
    const found = await service.lookup('pizza');
    assert.equal(found.state, 'invalid-in-redis');
    assert.deepEqual(found.redis, {
      type: 'hash',
      ttlMs: 5000,
      bytes: null,
      text: null,
      hexPrefix: null,
      truncated: false,
      mapped: null,
      reasons: [{ code: 'wrong-type', message: 'the key holds a hash, not a string' }],
      notes: [],
    });
    assert.equal(found.changedInRedis, null);
  });

  it('answers a tenant only one store has', async () => {
    const onlyRedis = await lookupOver({ keys: { 't:pizza': stringKey(LEGACY) } }).service.lookup(
      'pizza',
    );
    assert.equal(onlyRedis.state, 'only-in-redis');
    assert.equal(onlyRedis.postgres, null);
    const onlyPostgres = await lookupOver({ rows: { pizza: row() } }).service.lookup('pizza');
    assert.equal(onlyPostgres.state, 'only-in-postgres');
    assert.equal(onlyPostgres.redis, null);
    assert.equal(onlyPostgres.changedInRedis, null);
  });

  it('refuses a subdomain no tenant can have before reading anything, and knows no tenant in neither store', async () => {
    const { service, inspected } = lookupOver({});
    await assert.rejects(service.lookup('not a subdomain!'), InvalidSubdomainError);
    await assert.rejects(service.lookup('www'), InvalidSubdomainError);
    assert.deepEqual(inspected, []);
    await assert.rejects(service.lookup('pizza'), TenantNotFoundError);
  });
});
