import { Injectable } from '@nestjs/common';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { TableLock } from '../migration/table-lock.js';
import { TenantMigrationError, TenantNotFoundError } from '../errors/index.js';
import { IntegrityService } from './integrity.service.js';
import { SyncRepository } from './sync.repository.js';
import { TenantSyncService } from './sync-tenant.service.js';
import type { SyncAllResult, SyncRequest, SyncResult, SyncTarget } from './sync.types.js';

/** Entries replayed per `syncPending` call; the rest wait for the next. */
const PENDING_LIMIT = 10_000;

/**
 * Reconciles tenants between the stores, in the direction the evidence gives: Redis to
 * PostgreSQL when Redis holds the newer or only copy, PostgreSQL to Redis (in the format the
 * legacy readers understand) when PostgreSQL does. When both changed since the last migration
 * it refuses unless told which side wins. Every sync is audited with its direction.
 *
 * A key deleted or expired in Redis is a change like any other: the row it was migrated from
 * is deleted, unless PostgreSQL changed the tenant too. One tenant's sync is
 * `TenantSyncService`'s; this service picks the tenants, holds the lock and audits.
 */
@Injectable()
export class SyncService {
  constructor(
    private readonly integrity: IntegrityService,
    private readonly sessions: PostgresSessionFactory,
    private readonly store: SyncRepository,
    private readonly tenants: TenantSyncService,
    private readonly audit: AuditRepository,
    private readonly lock: TableLock,
  ) {}

  /**
   * Replays the write-back queue: syncs each tenant whose Redis copy `TenantService` could not
   * write. PostgreSQL is preferred when both stores changed (it took the write that Redis
   * missed) unless `prefer` says otherwise. A settled entry leaves the queue; an unreachable
   * Redis stops the replay with its error and leaves the rest queued.
   */
  async syncPending(request: SyncRequest = {}): Promise<SyncAllResult> {
    const pending = await this.sessions.withSession((client) =>
      this.store.pending(client, PENDING_LIMIT),
    );
    return this.syncEach(
      pending.map((subdomain) => ({ subdomain })),
      { ...request, prefer: request.prefer ?? 'postgres' },
      true,
    );
  }

  /**
   * Syncs every tenant the integrity check finds drifted, one by one; refusals are collected.
   * The check names each drift's Redis key, so a tenant only in Redis under a key that is not
   * prefix + subdomain is synced from that key.
   */
  async syncAllDrifted(request: SyncRequest = {}): Promise<SyncAllResult> {
    const report = await this.integrity.check();
    return this.syncEach(
      report.drift.map((drift) => ({ subdomain: drift.subdomain, key: drift.key })),
      request,
      false,
    );
  }

  sync(subdomainInput: string, request: SyncRequest = {}): Promise<SyncResult> {
    return this.locked(request, () => this.audited({ subdomain: subdomainInput }, request, false));
  }

  /** A sync that writes holds the tenants table's lock: never during a migration, restore or cleanup. */
  private locked<T>(request: SyncRequest, work: () => Promise<T>): Promise<T> {
    return request.dryRun ? work() : this.lock.hold('sync', work);
  }

  /**
   * Syncs the tenants one by one, collecting refusals. With `fromWriteBackQueue` (the queue's
   * replay) each sync also settles the tenant's queue entry, and a tenant deleted since is
   * settled (nothing is left to write back) rather than refused.
   */
  private syncEach(
    targets: SyncTarget[],
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncAllResult> {
    return this.locked(request, () => this.syncAll(targets, request, fromWriteBackQueue));
  }

  private async syncAll(
    targets: SyncTarget[],
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncAllResult> {
    const result: SyncAllResult = {
      dryRun: request.dryRun ?? false,
      drifted: targets.length,
      synced: 0,
      byDirection: {},
      byChange: {},
      refused: [],
      results: [],
    };
    for (const target of targets) {
      try {
        const synced = await this.audited(target, request, fromWriteBackQueue);
        result.results.push(synced);
        if (synced.direction !== 'none') result.synced++;
        result.byDirection[synced.direction] = (result.byDirection[synced.direction] ?? 0) + 1;
        result.byChange[synced.change] = (result.byChange[synced.change] ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof TenantMigrationError) || error.kind === 'unavailable') throw error;
        if (!(fromWriteBackQueue && error instanceof TenantNotFoundError))
          result.refused.push({ subdomain: target.subdomain, reason: error.message });
      }
    }
    return result;
  }

  private audited(
    target: SyncTarget,
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncResult> {
    return this.audit.around(
      {
        actor: request.actor,
        action: 'sync',
        params: {
          subdomain: target.subdomain,
          prefer: request.prefer ?? null,
          dryRun: request.dryRun ?? false,
        },
      },
      () => this.tenants.reconcile(target, request, fromWriteBackQueue),
      (result) => ({
        key: result.key,
        direction: result.direction,
        change: result.change,
        reason: result.reason,
      }),
    );
  }
}
