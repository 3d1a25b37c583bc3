import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../migration/postgres-session.factory.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { redisValueOf, selectTenantRowSql, type TenantRow } from '../tenants/tenant-row.js';
import { ConcurrentChangeError, InvalidOptionError, TenantMigrationError, TenantNotFoundError } from '../errors/index.js';
import { IntegrityService } from './integrity.service.js';
import { RedisWriteBackQueue } from '../compat/redis-write-back.queue.js';
import type { OutcomeReason } from '../migration/migration.types.js';

export type SyncDirection = 'redis-to-postgres' | 'postgres-to-redis' | 'none';

export interface SyncRequest {
  /** Which side wins when both changed since the last migration (otherwise that is refused). */
  prefer?: 'redis' | 'postgres';
  /** Decide and report, change nothing. */
  dryRun?: boolean;
  actor?: string;
}

export interface SyncAllResult {
  dryRun: boolean;
  /** Tenants considered: the drifted ones the check found, or (syncPending) the queued write-backs. */
  drifted: number;
  synced: number;
  byDirection: Partial<Record<SyncDirection, number>>;
  /** Tenants that could not be synced, with why (e.g. both sides changed and no side preferred). */
  refused: { subdomain: string; reason: string }[];
  results: SyncResult[];
}

export interface SyncResult {
  subdomain: string;
  key: string;
  direction: SyncDirection;
  /** Why this direction (or why nothing was done). */
  reason: string;
  dryRun: boolean;
}

/** Entries replayed per `syncPending` call; the rest wait for the next. */
const PENDING_LIMIT = 10_000;

/** Sets the key only if it still holds what was read (or is still absent): compare-and-set. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3])
  return 1
end
return 0`;

/**
 * Reconciles one tenant between the stores, in the direction the evidence gives: Redis to
 * PostgreSQL when Redis holds the newer or only copy, PostgreSQL to Redis (in the format the
 * legacy readers understand) when PostgreSQL does. When both changed since the last migration
 * it refuses unless told which side wins. Every sync is audited with its direction.
 */
@Injectable()
export class SyncService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    private readonly reader: RedisKeyspaceReader,
    private readonly validator: TenantValidator,
    private readonly classifier: KeyspaceClassifier,
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
    private readonly audit: AuditRepository,
    private readonly integrity: IntegrityService,
    private readonly writeBacks: RedisWriteBackQueue,
  ) {}

  /**
   * Replays the write-back queue: syncs each tenant whose Redis copy `TenantService` could not
   * write. PostgreSQL is preferred when both stores changed (it took the write that Redis
   * missed) unless `prefer` says otherwise. A settled entry leaves the queue; an unreachable
   * Redis stops the replay with its error and leaves the rest queued.
   */
  async syncPending(request: SyncRequest = {}): Promise<SyncAllResult> {
    const pending = await this.sessions.withSession((client) => this.writeBacks.pending(client, PENDING_LIMIT));
    return this.syncEach(pending.map((entry) => entry.subdomain), { ...request, prefer: request.prefer ?? 'postgres' }, true);
  }

  /** Syncs every tenant the integrity check finds drifted, one by one; refusals are collected. */
  async syncAllDrifted(request: SyncRequest = {}): Promise<SyncAllResult> {
    const report = await this.integrity.check();
    return this.syncEach(report.drift.map((drift) => drift.subdomain), request, false);
  }

  sync(subdomainInput: string, request: SyncRequest = {}): Promise<SyncResult> {
    return this.audited(subdomainInput, request, false);
  }

  /**
   * Syncs the tenants one by one, collecting refusals. With `settleWriteBacks` (the queue's
   * replay) each sync also settles the tenant's queue entry, and a tenant deleted since is
   * settled (nothing is left to write back) rather than refused.
   */
  private async syncEach(subdomains: string[], request: SyncRequest, settleWriteBacks: boolean): Promise<SyncAllResult> {
    const result: SyncAllResult = { dryRun: request.dryRun ?? false, drifted: subdomains.length, synced: 0, byDirection: {}, refused: [], results: [] };
    for (const subdomain of subdomains) {
      try {
        const synced = await this.audited(subdomain, request, settleWriteBacks);
        result.results.push(synced);
        if (synced.direction !== 'none') result.synced++;
        result.byDirection[synced.direction] = (result.byDirection[synced.direction] ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof TenantMigrationError) || error.kind === 'unavailable') throw error;
        if (!(settleWriteBacks && error instanceof TenantNotFoundError)) result.refused.push({ subdomain, reason: error.message });
      }
    }
    return result;
  }

  private audited(subdomainInput: string, request: SyncRequest, settleWriteBack: boolean): Promise<SyncResult> {
    return this.audit.around(
      { actor: request.actor, action: 'sync', params: { subdomain: subdomainInput, prefer: request.prefer ?? null, dryRun: request.dryRun ?? false } },
      () => this.reconcile(subdomainInput, request, settleWriteBack),
      (result) => ({ direction: result.direction, reason: result.reason }),
    );
  }

  /**
   * Decides and applies one tenant's sync on one session. A sync to Redis settles the tenant's
   * write-back entry; with `settleWriteBack`, so does any other outcome that is not a dry run.
   */
  private async reconcile(subdomainInput: string, request: SyncRequest, settleWriteBack: boolean): Promise<SyncResult> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    const key = this.options.keyPrefix + subdomain;
    const dryRun = request.dryRun ?? false;
    const done = (direction: SyncDirection, reason: string): SyncResult => ({ subdomain, key, direction, reason, dryRun });

    const [entry] = await this.reader.fetch([key], this.options.maxValueBytes);
    const raw = entry.kind === 'value' ? entry.value : null;
    const prepared = await this.classifier.classify({ cursor: '0', entries: [entry] });
    const candidate = prepared.candidates[0];
    const redisProblems: OutcomeReason[] = prepared.exceptions[0]?.reasons ?? [];

    const session = await this.sessions.open();
    try {
      const row = await this.readRow(session.client, subdomain);
      if (!row && entry.kind === 'vanished') {
        if (settleWriteBack && !dryRun) await this.writeBacks.settle(session.client, subdomain);
        throw new TenantNotFoundError(`tenant "${subdomain}" exists in neither Redis nor PostgreSQL`, { subdomain });
      }
      if (!row && !candidate) {
        throw new InvalidOptionError(`"${subdomain}" is only in Redis and its record is invalid: ${redisProblems.map((r) => r.message).join('; ')}`, {
          reasons: redisProblems,
        });
      }

      const redisChanged = candidate !== undefined && row !== null && candidate.record.sourceHash !== row.source_hash;
      const postgresChanged = row?.changed_in_postgres ?? false;
      let direction: SyncDirection;
      let reason: string;
      if (!row) [direction, reason] = ['redis-to-postgres', 'only Redis has the tenant'];
      else if (entry.kind === 'vanished') [direction, reason] = ['postgres-to-redis', 'only PostgreSQL has the tenant'];
      else if (!candidate) [direction, reason] = ['postgres-to-redis', 'the Redis record is invalid; PostgreSQL has a valid one'];
      else if (redisChanged && postgresChanged) {
        if (!request.prefer) {
          throw new InvalidOptionError(
            `both stores changed "${subdomain}" since its last migration; choose the side that wins with prefer redis or prefer postgres`,
            { subdomain },
          );
        }
        [direction, reason] = request.prefer === 'redis' ? ['redis-to-postgres', 'both changed; Redis preferred'] : ['postgres-to-redis', 'both changed; PostgreSQL preferred'];
      } else if (redisChanged) [direction, reason] = ['redis-to-postgres', 'Redis changed since the last migration'];
      else if (postgresChanged) [direction, reason] = ['postgres-to-redis', 'PostgreSQL changed since the last migration'];
      else [direction, reason] = ['none', 'the stores already agree on this tenant'];

      if (dryRun) return done(direction, reason);
      if (direction === 'redis-to-postgres') await this.writePostgres(session.client, candidate ? [candidate] : []);
      else if (direction === 'postgres-to-redis') await this.writeRedis(session.client, subdomain, key, row as TenantRow, raw);
      // A PostgreSQL-to-Redis write settled the tenant's entry with the value it recorded.
      if (settleWriteBack && direction !== 'postgres-to-redis') await this.writeBacks.settle(session.client, subdomain);
      return done(direction, reason);
    } finally {
      await session.release();
    }
  }

  private async readRow(client: PoolClient, subdomain: string): Promise<TenantRow | null> {
    const { rows } = await client.query<TenantRow>(selectTenantRowSql(this.options.tables.tenants), [subdomain]);
    return rows[0] ?? null;
  }

  /** Redis to PostgreSQL: the one record goes through the migration's own merge (Redis wins). */
  private async writePostgres(client: PoolClient, staged: Parameters<TenantMergeRepository['stage']>[1]): Promise<void> {
    await this.sessions.transaction(client, async () => {
      await this.merges.prepareSession(client, 'sync_stage', 'DROP');
      await this.merges.stage(client, staged, 'sync_stage');
      await this.merges.mergeStaged(client, 'overwrite', 'sync_stage');
    });
  }

  /**
   * PostgreSQL to Redis: writes the tenant in its source's format (legacy readers keep
   * working), only if the key still holds what was read, then records that value as migrated.
   */
  private async writeRedis(client: PoolClient, subdomain: string, key: string, row: TenantRow, current: Buffer | null): Promise<void> {
    const value = redisValueOf(row);
    const written = await this.redis.eval(COMPARE_AND_SET, 1, key, current === null ? '' : 'present', current ?? '', value);
    if (written !== 1) throw new ConcurrentChangeError(`"${subdomain}" changed in Redis while it was being synced; nothing was written, run sync again`, { subdomain });
    await this.writeBacks.markWritten(client, subdomain, key, value);
  }
}
