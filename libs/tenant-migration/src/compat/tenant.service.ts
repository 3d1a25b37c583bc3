import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { TenantBodyValues } from '../tenants/tenant-mapper.js';
import { redisKeyOf, redisValueOf, tenantFromRow, type TenantRow } from '../tenants/tenant-row.js';
import type {
  EnhancedTenant,
  SubscriptionPlan,
  SubscriptionStatus,
  TenantFeatures,
} from '../tenants/tenant.types.js';
import {
  InvalidTenantError,
  StoreUnavailableError,
  TenantExistsError,
  TenantNotFoundError,
} from '../errors/index.js';
import { withTimeout } from '../common/with-timeout.js';
import { RedisWriteBackQueue } from '../tenants/redis-write-back.queue.js';
import { TenantTombstoneRepository } from '../tenants/tenant-tombstone.repository.js';
import { TenantResolver } from './tenant-resolver.js';
import { TenantStoreRepository } from './tenant-store.repository.js';
import { TenantRedisCopyRepository } from './tenant-redis-copy.repository.js';
import { errorMessage } from '../common/error-message.js';

/**
 * A tenant as the platform creates it: the fields of an enhanced record, with `createdAt`
 * optional. Validated and sanitized by the migration's own rules.
 */
export interface TenantInput extends Omit<
  TenantBodyValues,
  'id' | 'subdomain' | 'createdAt' | 'features' | 'subscription'
> {
  subdomain: string;
  /** Epoch milliseconds. Default: now. */
  createdAt?: number;
  features?: Partial<TenantFeatures>;
  subscription?: {
    plan?: SubscriptionPlan;
    status?: SubscriptionStatus;
    expiresAt?: number | null;
  };
}

/** The fields an update changes; absent fields keep their value, `null` clears an optional one. */
export type TenantChanges = Partial<Omit<TenantInput, 'subdomain'>>;

/**
 * What became of the Redis copy: `written`, `queued` (Redis could not be written; the
 * tenant's entry in the write-back queue waits for `sync --pending`) or `off` (write-back
 * is disabled).
 */
export type WriteBackOutcome = 'written' | 'queued' | 'off';

export interface TenantWriteResult {
  tenant: EnhancedTenant;
  writeBack: WriteBackOutcome;
}

export interface TenantWriteOptions {
  /** Override the module's `writeBack.enabled` for this call. */
  writeBack?: boolean;
}

/**
 * Creates, updates and deletes tenants in PostgreSQL, the store of record, during and after
 * the transition. With write-back on, each write also puts the tenant's legacy-compatible
 * value in Redis, so code that still reads Redis stays correct until cutover.
 *
 * The PostgreSQL write and the Redis write-back happen under the row's lock in one
 * transaction. When Redis cannot be written, the PostgreSQL write still commits, together with
 * an entry in the write-back queue (logged, never dropped) that `sync --pending` replays. A
 * delete removes the Redis key too, or nothing: a key left behind would bring the tenant back
 * at the next migration or fallback read.
 */
@Injectable()
export class TenantService {
  private readonly logger = new Logger('TenantService');

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly redisCopy: TenantRedisCopyRepository,
    private readonly validator: TenantValidator,
    private readonly sessions: PostgresSessionFactory,
    private readonly resolver: TenantResolver,
    private readonly queue: RedisWriteBackQueue,
    private readonly tombstones: TenantTombstoneRepository,
    private readonly store: TenantStoreRepository,
  ) {}

  /**
   * Creates a tenant. Its subdomain must be free in both stores: a Redis record not migrated
   * yet holds it too (`TenantExistsError`). Until cutover (`postgres-only`) that needs Redis
   * to answer; when it cannot, nothing is created (`StoreUnavailableError`).
   */
  async create(input: TenantInput, options: TenantWriteOptions = {}): Promise<TenantWriteResult> {
    const subdomain = this.validator.requireSubdomain(input?.subdomain);
    const key = this.options.keyPrefix + subdomain;
    const { subdomain: _subdomain, ...fields } = input;
    const record = this.validate(subdomain, key, { createdAt: Date.now(), ...fields });
    await this.assertFreeInRedis(subdomain, key);
    return this.inTransaction(async (client) => {
      const row = await this.store.insertCreated(client, key, record);
      if (!row) throw new TenantExistsError(`tenant "${subdomain}" already exists`, { subdomain });
      return this.writeBack(client, row, key, options);
    });
  }

  /**
   * Updates a tenant. One not migrated yet (only in Redis) is migrated first, with the
   * resolver's on-the-fly migration, then updated.
   */
  async update(
    subdomainInput: string,
    changes: TenantChanges,
    options: TenantWriteOptions = {},
  ): Promise<TenantWriteResult> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    const key = this.options.keyPrefix + subdomain;
    if ((await this.resolver.ensureMigrated(subdomain)) === null) {
      throw new TenantNotFoundError(
        `tenant "${subdomain}" exists in neither PostgreSQL nor Redis`,
        { subdomain },
      );
    }
    return this.inTransaction(async (client) => {
      const current = await this.store.lock(client, subdomain);
      if (!current)
        throw new TenantNotFoundError(`tenant "${subdomain}" was deleted meanwhile`, { subdomain });
      const {
        id: _id,
        subdomain: _subdomain,
        profileComplete: _complete,
        sourceFormat: _format,
        ...before
      } = tenantFromRow(current);
      const merged = {
        ...before,
        ...changes,
        features: { ...before.features, ...changes.features },
        subscription: { ...before.subscription, ...changes.subscription },
      };
      const record = this.validate(subdomain, key, merged);
      // Provenance (source_*) stays: it says where the tenant came from and what Redis held.
      const row = await this.store.update(client, subdomain, key, record);
      // The copy goes to the key the tenant came from (`MyShop` for `myshop`), not a new one.
      return this.writeBack(
        client,
        row,
        redisKeyOf(this.options.keyPrefix, subdomain, current.source_key),
        options,
      );
    });
  }

  /** Deletes a tenant from PostgreSQL and its key from Redis; all or nothing. */
  async delete(
    subdomainInput: string,
  ): Promise<{ subdomain: string; deleted: true; redisKeyDeleted: boolean }> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    return this.inTransaction(async (client) => {
      const deleted = await this.tombstones.delete(client, subdomain);
      // The key the tenant came from (`MyShop` for `myshop`), or the one its name gives.
      const key = redisKeyOf(this.options.keyPrefix, subdomain, deleted.sourceKey);
      await this.queue.settle(client, subdomain);
      let removed: boolean;
      try {
        removed = await this.withTimeout(this.redisCopy.delete(key));
      } catch (error) {
        throw new StoreUnavailableError(
          `tenant "${subdomain}" was not deleted: its Redis key ${key} could not be deleted (${errorMessage(error)}), and a key left behind would bring it back`,
          { subdomain, key },
          { cause: error },
        );
      }
      if (!deleted.row && !removed)
        throw new TenantNotFoundError(
          `tenant "${subdomain}" exists in neither PostgreSQL nor Redis`,
          { subdomain },
        );
      return { subdomain, deleted: true as const, redisKeyDeleted: removed };
    });
  }

  /** The tenant in PostgreSQL (no Redis fallback: that is the resolver's job), or null. */
  async find(subdomainInput: string): Promise<EnhancedTenant | null> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    const row = await this.sessions.withSession((client) => this.store.find(client, subdomain));
    return row ? tenantFromRow(row) : null;
  }

  /**
   * Writes the row's Redis copy (under its lock) and records it as the migrated value, so the
   * stores agree and the next migration sees the tenant unchanged; or queues the debt.
   */
  private async writeBack(
    client: PoolClient,
    row: TenantRow,
    key: string,
    options: TenantWriteOptions,
  ): Promise<TenantWriteResult> {
    const tenant = tenantFromRow(row);
    if (!(options.writeBack ?? this.options.writeBack.enabled)) return { tenant, writeBack: 'off' };
    const value = redisValueOf(row);
    try {
      // The key keeps its TTL: a key the legacy application gave a lifetime keeps it.
      await this.withTimeout(this.redisCopy.write(key, value));
    } catch (error) {
      this.logger.warn(
        `write-back of "${row.subdomain}" to Redis failed and is queued for sync --pending: ${errorMessage(error)}`,
      );
      await this.queue.enqueue(client, row.subdomain, key, errorMessage(error));
      return { tenant, writeBack: 'queued' };
    }
    await this.queue.markWritten(client, row.subdomain, key, value);
    return { tenant, writeBack: 'written' };
  }

  /** Refuses a subdomain a legacy Redis record holds; after cutover Redis is not consulted. */
  private async assertFreeInRedis(subdomain: string, key: string): Promise<void> {
    if (this.options.resolver.mode === 'postgres-only') return;
    let exists: boolean;
    try {
      exists = await this.withTimeout(this.redisCopy.exists(key));
    } catch (error) {
      throw new StoreUnavailableError(
        `tenant "${subdomain}" was not created: Redis could not be asked whether a legacy record holds the subdomain (${errorMessage(error)})`,
        { subdomain, key },
        { cause: error },
      );
    }
    if (exists)
      throw new TenantExistsError(
        `subdomain "${subdomain}" is taken by a Redis record that is not migrated yet`,
        { subdomain, key },
      );
  }

  /** The record of a tenant body, through the same validation and mapping as a migrated one. */
  private validate(subdomain: string, key: string, body: Omit<TenantInput, 'subdomain'>) {
    const result = this.validator.validateValue(
      key,
      subdomain,
      Buffer.from(JSON.stringify({ subdomain, ...body })),
    );
    if (!result.ok) {
      throw new InvalidTenantError(
        `tenant "${subdomain}" is invalid: ${result.reasons.map((r) => r.message).join('; ')}`,
        {
          subdomain,
          reasons: result.reasons,
        },
      );
    }
    return result.record;
  }

  private inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.sessions.withSession((client) =>
      this.sessions.transaction(client, () => work(client)),
    );
  }

  /** A Redis call bounded by `writeBack.timeoutMs`, so an outage never holds the row lock for long. */
  private withTimeout<T>(call: Promise<T>): Promise<T> {
    return withTimeout(call, this.options.writeBack.timeoutMs, 'Redis');
  }
}
