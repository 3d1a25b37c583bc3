import { Inject, Injectable, Optional } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { tenantFromRow } from '../tenants/tenant-row.js';
import type { EnhancedTenant } from '../tenants/tenant.types.js';
import { InvalidOptionError, InvalidTenantRecordError } from '../errors/index.js';
import { TenantStoreRepository } from './tenant-store.repository.js';
import {
  MIGRATION_OBSERVER,
  type MigrationObserver,
  type ResolverLookupResult,
} from '../common/migration-observer.js';

/**
 * Finds a tenant by subdomain during the transition, so running applications keep working:
 * PostgreSQL if migrated, otherwise Redis, migrated on the fly with the bulk engine's rules and
 * mapping. Concurrent calls for the same missing tenant share one migration (single flight in
 * the process, ON CONFLICT across processes). Errors are never swallowed: an outage is an
 * error, not "not found"; an invalid Redis record is an `InvalidTenantRecordError` with its
 * reasons and is not written; a missing tenant is `null`.
 */
@Injectable()
export class TenantResolver {
  private readonly inFlight = new Map<string, Promise<EnhancedTenant | null>>();
  /**
   * Found tenants, for `cacheTtlMs`, at most `cacheMaxEntries` of them (least recently used
   * first out). Misses are never kept: requests for subdomains nobody has would otherwise grow
   * it without limit, and a tenant created meanwhile must be found at once.
   */
  private readonly cache: LRUCache<string, EnhancedTenant> | null;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly validator: TenantValidator,
    private readonly store: TenantStoreRepository,
    @Optional()
    @Inject(MIGRATION_OBSERVER)
    private readonly observer: MigrationObserver | null = null,
  ) {
    const { cacheTtlMs, cacheMaxEntries } = options.resolver;
    if (cacheTtlMs > 0 && !(Number.isInteger(cacheMaxEntries) && cacheMaxEntries >= 1)) {
      throw new InvalidOptionError(
        `resolver.cacheMaxEntries must be a whole number of at least 1, got ${cacheMaxEntries}`,
        { option: 'resolver.cacheMaxEntries' },
      );
    }
    this.cache = cacheTtlMs > 0 ? new LRUCache({ max: cacheMaxEntries, ttl: cacheTtlMs }) : null;
  }

  /** The tenant of a subdomain in the enhanced format, or null if neither store has it. */
  async resolve(subdomainInput: string): Promise<EnhancedTenant | null> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    const hit = this.cache?.get(subdomain);
    if (hit) {
      this.observer?.onResolverLookup('cache');
      return hit;
    }
    const tenant = await this.lookup(subdomain);
    if (tenant) this.cache?.set(subdomain, tenant);
    return tenant;
  }

  /**
   * The spec's name for `resolve`; `TenantMigrationService.getSubdomainDataWithFallback` is
   * this method.
   */
  getSubdomainDataWithFallback(subdomain: string): Promise<EnhancedTenant | null> {
    return this.resolve(subdomain);
  }

  /**
   * The tenant's PostgreSQL row, migrating its Redis record first if it has none (not in
   * `postgres-only` mode, where Redis is no longer read). Null if neither store has it.
   */
  async ensureMigrated(subdomain: string): Promise<EnhancedTenant | null> {
    const found = await this.fromPostgres(subdomain);
    if (found || this.options.resolver.mode === 'postgres-only') return found;
    return this.singleFlight(subdomain);
  }

  /** Drops cached answers: one subdomain's, or all. */
  invalidate(subdomain?: string): void {
    if (subdomain === undefined) return this.cache?.clear();
    const input = this.validator.validateInput(subdomain);
    if (input.ok) this.cache?.delete(input.subdomain);
  }

  private async lookup(subdomain: string): Promise<EnhancedTenant | null> {
    const { mode } = this.options.resolver;
    const first =
      mode === 'redis-first'
        ? await this.fromRedis(subdomain, false)
        : await this.fromPostgres(subdomain);
    if (first || mode === 'postgres-only') {
      return this.observed(first, mode === 'redis-first' ? 'redis' : 'postgres');
    }
    const second =
      mode === 'redis-first'
        ? await this.fromPostgres(subdomain)
        : await this.singleFlight(subdomain);
    return this.observed(second, mode === 'redis-first' ? 'postgres' : 'redis-fallback');
  }

  /** Tells the observer, if any, where `tenant` was found (`found`), or that it was a miss. */
  private observed(
    tenant: EnhancedTenant | null,
    found: ResolverLookupResult,
  ): EnhancedTenant | null {
    this.observer?.onResolverLookup(tenant ? found : 'miss');
    return tenant;
  }

  private async fromPostgres(subdomain: string): Promise<EnhancedTenant | null> {
    const row = await this.store.findOnPool(subdomain);
    return row ? tenantFromRow(row) : null;
  }

  /** One Redis fallback (and migration) per subdomain at a time in this process. */
  private singleFlight(subdomain: string): Promise<EnhancedTenant | null> {
    const running = this.inFlight.get(subdomain);
    if (running) return running;
    const flight = this.fromRedis(subdomain, true).finally(() => this.inFlight.delete(subdomain));
    this.inFlight.set(subdomain, flight);
    return flight;
  }

  /** The Redis record, validated and mapped; with `migrate`, written to PostgreSQL first. */
  private async fromRedis(subdomain: string, migrate: boolean): Promise<EnhancedTenant | null> {
    const key = this.options.keyPrefix + subdomain;
    // Taken before Redis is read: a tenant deleted in PostgreSQL after this read is not
    // brought back by the insert below.
    const fence = migrate ? await this.store.fenceOnPool() : null;
    const [entry] = await this.reader.fetch([key], this.options.maxValueBytes);
    if (entry.kind === 'vanished') return null;
    if (entry.kind !== 'value') {
      const why =
        entry.kind === 'wrong-type'
          ? `holds a ${entry.type}, not a string`
          : 'cannot be read as a tenant';
      throw new InvalidTenantRecordError(`the Redis record of "${subdomain}" ${why}`, {
        subdomain,
        key,
      });
    }
    const result = this.validator.validateValue(key, subdomain, entry.value);
    if (!result.ok) {
      throw new InvalidTenantRecordError(
        `the Redis record of "${subdomain}" is invalid: ${result.reasons.map((r) => r.message).join('; ')}`,
        {
          subdomain,
          key,
          reasons: result.reasons,
        },
      );
    }
    if (fence === null) {
      const { sourceId: _sourceId, sourceHash: _sourceHash, ...tenant } = result.record;
      return tenant;
    }
    await this.store.insertIfAbsentOnPool({ key, record: result.record }, fence);
    // Whoever inserted it (this call, another request, another process), this is the row now.
    return this.fromPostgres(subdomain);
  }
}
