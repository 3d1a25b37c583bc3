import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { resolveOptions } from '../tenant-migration-options.resolve.js';
import type { TenantMigrationModuleOptions } from '../tenant-migration-options.interface.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation/validation.types.js';
import type { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { TenantTombstoneRepository } from '../tenants/tenant-tombstone.repository.js';
import type { TenantRow } from '../tenants/tenant-row.js';
import type { EnhancedTenant, TenantRecord } from '../tenants/tenant.types.js';
import {
  InvalidTenantError,
  StoreUnavailableError,
  TenantExistsError,
  TenantNotFoundError,
} from '../errors/index.js';
import type { RedisWriteBackQueue } from '../tenants/redis-write-back.queue.js';
import type { TenantRedisCopyRepository } from './tenant-redis-copy.repository.js';
import type { TenantResolver } from './tenant-resolver.js';
import type { TenantStoreRepository } from './tenant-store.repository.js';
import { TenantService } from './tenant.service.js';

const CLIENT = {} as PoolClient;

/** The row the store answers for a record, as PostgreSQL would select it. */
const rowOf = (
  record: TenantRecord,
  source: Pick<TenantRow, 'source_format' | 'source_key' | 'source_hash'>,
): TenantRow => ({
  id: record.id,
  subdomain: record.subdomain,
  emoji: record.emoji,
  created_ms: String(record.createdAt),
  business_name: record.businessName,
  business_category: record.businessCategory,
  business_description: record.businessDescription,
  owner_name: record.ownerName,
  email: record.email,
  phone: record.phone,
  address: record.address,
  logo: record.logo,
  brand_colors: record.brandColors,
  feature_whatsapp: record.features.whatsapp,
  feature_home_visit: record.features.homeVisit,
  feature_analytics: record.features.analytics,
  feature_custom_templates: record.features.customTemplates,
  feature_multi_staff: record.features.multiStaff,
  subscription_plan: record.subscription.plan,
  subscription_status: record.subscription.status,
  expires_ms: record.subscription.expiresAt === null ? null : String(record.subscription.expiresAt),
  profile_complete: record.profileComplete,
  changed_in_postgres: true,
  ...source,
});

/** The tenants table, in memory. */
class FakeStore implements Pick<
  TenantStoreRepository,
  'insertCreated' | 'update' | 'find' | 'lock'
> {
  readonly rows = new Map<string, TenantRow>();
  insertCreated(_client: PoolClient, _key: string, record: TenantRecord) {
    if (this.rows.has(record.subdomain)) return Promise.resolve(null);
    const row = rowOf(record, { source_format: 'app', source_key: null, source_hash: null });
    this.rows.set(record.subdomain, row);
    return Promise.resolve(row);
  }
  update(_client: PoolClient, subdomain: string, _key: string, record: TenantRecord) {
    const { source_format, source_key, source_hash } = this.rows.get(subdomain)!;
    const row = rowOf(record, { source_format, source_key, source_hash });
    this.rows.set(subdomain, row);
    return Promise.resolve(row);
  }
  find(_client: PoolClient, subdomain: string) {
    return Promise.resolve(this.rows.get(subdomain) ?? null);
  }
  lock(client: PoolClient, subdomain: string) {
    return this.find(client, subdomain);
  }
}

/** Redis, in memory; `down` makes every command fail. */
class FakeRedisCopy implements Pick<TenantRedisCopyRepository, 'exists' | 'write' | 'delete'> {
  readonly keys = new Map<string, string>();
  readonly calls: string[] = [];
  down = false;
  private answer<T>(command: string, value: () => T): Promise<T> {
    this.calls.push(command);
    return this.down ? Promise.reject(new Error('connection refused')) : Promise.resolve(value());
  }
  exists(key: string) {
    return this.answer(`exists ${key}`, () => this.keys.has(key));
  }
  write(key: string, value: string) {
    return this.answer(`write ${key}`, () => void this.keys.set(key, value));
  }
  delete(key: string) {
    return this.answer(`delete ${key}`, () => this.keys.delete(key));
  }
}

/** The write-back queue, as the calls it received. */
class FakeQueue implements Pick<RedisWriteBackQueue, 'enqueue' | 'markWritten' | 'settle'> {
  readonly calls: string[] = [];
  enqueue(_client: PoolClient, subdomain: string, key: string) {
    this.calls.push(`enqueue ${subdomain} ${key}`);
    return Promise.resolve();
  }
  markWritten(_client: PoolClient, subdomain: string, key: string) {
    this.calls.push(`written ${subdomain} ${key}`);
    return Promise.resolve();
  }
  settle(_client: PoolClient, subdomain: string) {
    this.calls.push(`settle ${subdomain}`);
    return Promise.resolve();
  }
}

/** Sessions that run the work at once and record how each transaction ended. */
class FakeSessions implements Pick<PostgresSessionFactory, 'withSession' | 'transaction'> {
  readonly ends: ('commit' | 'rollback')[] = [];
  withSession<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return work(CLIENT);
  }
  async transaction<T>(_client: PoolClient, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.ends.push('commit');
      return result;
    } catch (error) {
      this.ends.push('rollback');
      throw error;
    }
  }
}

const setup = (options: TenantMigrationModuleOptions = {}) => {
  const store = new FakeStore();
  const redis = new FakeRedisCopy();
  const queue = new FakeQueue();
  const sessions = new FakeSessions();
  const resolver: Pick<TenantResolver, 'ensureMigrated'> = {
    ensureMigrated: (subdomain) =>
      Promise.resolve(store.rows.has(subdomain) ? ({} as EnhancedTenant) : null),
  };
  const tombstones: Pick<TenantTombstoneRepository, 'delete'> = {
    delete: (_client, subdomain) => {
      const row = store.rows.get(subdomain);
      store.rows.delete(subdomain);
      return Promise.resolve({ row: row !== undefined, sourceKey: row?.source_key ?? null });
    },
  };
  const service = new TenantService(
    resolveOptions({ writeBack: { enabled: true }, ...options }),
    redis as unknown as TenantRedisCopyRepository,
    new TenantValidator(DEFAULT_VALIDATION_SETTINGS),
    sessions as unknown as PostgresSessionFactory,
    resolver as TenantResolver,
    queue as unknown as RedisWriteBackQueue,
    tombstones as TenantTombstoneRepository,
    store as unknown as TenantStoreRepository,
  );
  return { service, store, redis, queue, sessions };
};

const T = 1700000000000;

describe('TenantService decisions, over fake repositories', () => {
  it('creates a tenant, writes its legacy copy to Redis and records it as migrated', async () => {
    const { service, store, redis, queue } = setup();
    const result = await service.create({ subdomain: 'Pizza', emoji: '🍕', createdAt: T });
    assert.equal(result.writeBack, 'written');
    assert.equal(result.tenant.subdomain, 'pizza');
    assert.equal(store.rows.get('pizza')?.source_format, 'app');
    assert.equal(redis.keys.get('subdomain:pizza'), JSON.stringify({ emoji: '🍕', createdAt: T }));
    assert.deepEqual(queue.calls, ['written pizza subdomain:pizza']);
  });

  it('refuses a subdomain a Redis record holds, or one it cannot ask Redis about; creates nothing', async () => {
    const { service, store, redis } = setup();
    redis.keys.set('subdomain:pizza', '{}');
    await assert.rejects(service.create({ subdomain: 'pizza', emoji: '🍕' }), TenantExistsError);
    redis.down = true;
    await assert.rejects(
      service.create({ subdomain: 'pasta', emoji: '🍝' }),
      StoreUnavailableError,
    );
    assert.equal(store.rows.size, 0);
  });

  it('does not ask Redis after cutover (postgres-only)', async () => {
    const { service, redis } = setup({
      resolver: { mode: 'postgres-only' },
      writeBack: { enabled: false },
    });
    redis.down = true;
    const result = await service.create({ subdomain: 'pizza', emoji: '🍕' });
    assert.equal(result.writeBack, 'off');
    assert.deepEqual(redis.calls, []);
  });

  it('queues the write-back when Redis cannot be written, and still commits', async () => {
    const { service, redis, queue, sessions } = setup();
    await service.create({ subdomain: 'pasta', emoji: '🍝' });
    redis.down = true;
    const updated = await service.update('pasta', { emoji: '🍜' });
    assert.equal(updated.writeBack, 'queued');
    assert.equal(updated.tenant.emoji, '🍜');
    assert.deepEqual(queue.calls.at(-1), 'enqueue pasta subdomain:pasta');
    assert.deepEqual(sessions.ends, ['commit', 'commit']);
  });

  it('refuses an invalid body and a tenant neither store has', async () => {
    const { service } = setup();
    await assert.rejects(
      service.create({ subdomain: 'pizza', emoji: 'pizza' }),
      InvalidTenantError,
    );
    await assert.rejects(service.update('nobody', { emoji: '🍕' }), TenantNotFoundError);
    await assert.rejects(service.delete('nobody'), TenantNotFoundError);
  });

  it('writes an update back to the key the tenant came from', async () => {
    const { service, store, redis } = setup();
    await service.create({ subdomain: 'myshop', emoji: '🛍️', createdAt: T });
    store.rows.set('myshop', { ...store.rows.get('myshop')!, source_key: 'subdomain:MyShop' });
    await service.update('myshop', { emoji: '🛒' });
    assert.equal(redis.keys.get('subdomain:MyShop'), JSON.stringify({ emoji: '🛒', createdAt: T }));
  });

  it('deletes all or nothing: a Redis key it cannot delete rolls the delete back', async () => {
    const { service, redis, sessions } = setup();
    await service.create({ subdomain: 'pizza', emoji: '🍕' });
    redis.down = true;
    await assert.rejects(service.delete('pizza'), StoreUnavailableError);
    assert.equal(sessions.ends.at(-1), 'rollback');
    redis.down = false;
    assert.deepEqual(await service.delete('pizza'), {
      subdomain: 'pizza',
      deleted: true,
      redisKeyDeleted: true,
    });
  });
});
