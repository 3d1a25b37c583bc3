import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import {
  TENANT_COLUMNS,
  tenantColumnValues,
  tenantParam,
} from '../migration/tenant-merge.repository.js';
import type { TenantBodyValues } from '../tenants/tenant-mapper.js';
import {
  redisKeyOf,
  redisValueOf,
  selectTenantRowSql,
  TENANT_ROW_SELECT,
  tenantFromRow,
  type TenantRow,
} from '../tenants/tenant-row.js';
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
import { RedisWriteBackQueue } from './redis-write-back.queue.js';
import { TenantTombstoneRepository } from '../tenants/tenant-tombstone.repository.js';
import { TenantResolver } from './tenant-resolver.js';
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
  /** The statements, built once for the configured tenants table. */
  private readonly sql: { insert: string; update: string; select: string; lock: string };

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    private readonly validator: TenantValidator,
    private readonly sessions: PostgresSessionFactory,
    private readonly resolver: TenantResolver,
    private readonly queue: RedisWriteBackQueue,
    private readonly tombstones: TenantTombstoneRepository,
  ) {
    const table = options.tables.tenants;
    const select = selectTenantRowSql(table);
    this.sql = {
      insert: `INSERT INTO ${table} (${TENANT_COLUMNS.join(', ')}) VALUES (${TENANT_COLUMNS.map((c, i) => tenantParam(c, i + 1)).join(', ')})
         ON CONFLICT DO NOTHING RETURNING ${TENANT_ROW_SELECT}`,
      update: `UPDATE ${table} SET ${UPDATABLE_COLUMNS.map((c, i) => `${c} = ${tenantParam(c, i + 2)}`).join(', ')}
         WHERE subdomain = $1 RETURNING ${TENANT_ROW_SELECT}`,
      select,
      lock: `${select} FOR UPDATE`,
    };
  }

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
      const values = tenantColumnValues({ key, record });
      values[TENANT_COLUMNS.indexOf('source_format')] = 'app';
      values[TENANT_COLUMNS.indexOf('source_key')] = null;
      values[TENANT_COLUMNS.indexOf('source_hash')] = null;
      const { rows } = await client.query<TenantRow>(this.sql.insert, values);
      if (!rows[0])
        throw new TenantExistsError(`tenant "${subdomain}" already exists`, { subdomain });
      return this.writeBack(client, rows[0], key, options);
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
      const current = await this.lockRow(client, subdomain);
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
      const values = tenantColumnValues({ key, record });
      const { rows } = await client.query<TenantRow>(this.sql.update, [
        subdomain,
        ...UPDATABLE_COLUMNS.map((c) => values[TENANT_COLUMNS.indexOf(c)]),
      ]);
      // The copy goes to the key the tenant came from (`MyShop` for `myshop`), not a new one.
      return this.writeBack(
        client,
        rows[0],
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
      let removed: number;
      try {
        removed = await this.withTimeout(this.redis.del(key));
      } catch (error) {
        throw new StoreUnavailableError(
          `tenant "${subdomain}" was not deleted: its Redis key ${key} could not be deleted (${errorMessage(error)}), and a key left behind would bring it back`,
          { subdomain, key },
          { cause: error },
        );
      }
      if (!deleted.row && removed === 0)
        throw new TenantNotFoundError(
          `tenant "${subdomain}" exists in neither PostgreSQL nor Redis`,
          { subdomain },
        );
      return { subdomain, deleted: true as const, redisKeyDeleted: removed === 1 };
    });
  }

  /** The tenant in PostgreSQL (no Redis fallback: that is the resolver's job), or null. */
  async find(subdomainInput: string): Promise<EnhancedTenant | null> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    const { rows } = await this.sessions.withSession((client) =>
      client.query<TenantRow>(this.sql.select, [subdomain]),
    );
    return rows[0] ? tenantFromRow(rows[0]) : null;
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
      // KEEPTTL: a key the legacy application gave a lifetime keeps it.
      await this.withTimeout(this.redis.set(key, value, 'KEEPTTL'));
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
    let exists: number;
    try {
      exists = await this.withTimeout(this.redis.exists(key));
    } catch (error) {
      throw new StoreUnavailableError(
        `tenant "${subdomain}" was not created: Redis could not be asked whether a legacy record holds the subdomain (${errorMessage(error)})`,
        { subdomain, key },
        { cause: error },
      );
    }
    if (exists === 1)
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

  private async lockRow(client: PoolClient, subdomain: string): Promise<TenantRow | null> {
    const { rows } = await client.query<TenantRow>(this.sql.lock, [subdomain]);
    return rows[0] ?? null;
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

/** What an update writes: everything but the identity and the provenance (source_*). */
const UPDATABLE_COLUMNS = TENANT_COLUMNS.filter(
  (c) =>
    !['id', 'subdomain', 'source_format', 'source_id', 'source_key', 'source_hash'].includes(c),
);
