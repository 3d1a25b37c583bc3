import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { AuditRepository } from '../audit/audit.repository.js';
import {
  redisKeyOf,
  redisValueOf,
  TENANT_ROW_SELECT,
  type TenantRow,
} from '../tenants/tenant-row.js';
import {
  ConcurrentChangeError,
  InvalidOptionError,
  InvalidTenantRecordError,
  TenantMigrationError,
  TenantNotFoundError,
} from '../errors/index.js';
import { IntegrityService } from './integrity.service.js';
import { RedisWriteBackQueue } from '../compat/redis-write-back.queue.js';
import { TenantTombstoneRepository } from '../tenants/tenant-tombstone.repository.js';
import { TableLock } from '../migration/table-lock.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import {
  decision,
  type SyncAllResult,
  type SyncDecision,
  type SyncRequest,
  type SyncResult,
  type SyncTarget,
} from './sync.types.js';

export type {
  SyncAllResult,
  SyncChange,
  SyncDirection,
  SyncRequest,
  SyncResult,
} from './sync.types.js';

/**
 * The tenant row as sync decides on it: the read paths' row, plus the key it was migrated from
 * and its last write time in exact microseconds (what a compare-and-delete compares).
 */
interface SyncRow extends TenantRow {
  updated_us: string;
}

const UPDATED_US = '(extract(epoch FROM updated_at) * 1000000)::bigint';

/** Entries replayed per `syncPending` call; the rest wait for the next. */
const PENDING_LIMIT = 10_000;

/**
 * Sets the key only if it still holds what was read (or is still absent): compare-and-set.
 * KEEPTTL: a key the legacy application gave a lifetime keeps it; a sync changes its value only.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
  return 1
end
return 0`;

/**
 * Reconciles one tenant between the stores, in the direction the evidence gives: Redis to
 * PostgreSQL when Redis holds the newer or only copy, PostgreSQL to Redis (in the format the
 * legacy readers understand) when PostgreSQL does. When both changed since the last migration
 * it refuses unless told which side wins. Every sync is audited with its direction.
 *
 * A tenant's Redis key is the one it was migrated from (`source_key`), which need not be
 * prefix + subdomain (a key such as `MyShop` migrates as `myshop`). A key deleted or expired in
 * Redis is a change like any other: the row it was migrated from is deleted, unless PostgreSQL
 * changed the tenant too.
 */
@Injectable()
export class SyncService {
  /** The statements, built once for the configured table names. */
  private readonly sql: { selectRow: string; deleteIfUnchanged: string; wasCleanedUp: string };

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
    private readonly tombstones: TenantTombstoneRepository,
    private readonly lock: TableLock,
  ) {
    const { tenants, redisCleanups } = options.tables;
    this.sql = {
      selectRow: `SELECT ${TENANT_ROW_SELECT}, ${UPDATED_US}::text AS updated_us FROM ${tenants} WHERE subdomain = $1`,
      // Exactly the row decided on: same migrated value, same last write and, unless the
      // caller overrides a PostgreSQL change ($4), still unchanged since its migration.
      deleteIfUnchanged: `DELETE FROM ${tenants}
         WHERE subdomain = $1 AND source_hash IS NOT DISTINCT FROM $2 AND ${UPDATED_US} = $3::bigint
           AND ($4::boolean OR (migrated_at IS NOT NULL AND updated_at <= migrated_at))`,
      wasCleanedUp: `SELECT EXISTS (SELECT 1 FROM ${redisCleanups} WHERE subdomain = $1 AND source_hash = $2) AS cleaned`,
    };
  }

  /**
   * Replays the write-back queue: syncs each tenant whose Redis copy `TenantService` could not
   * write. PostgreSQL is preferred when both stores changed (it took the write that Redis
   * missed) unless `prefer` says otherwise. A settled entry leaves the queue; an unreachable
   * Redis stops the replay with its error and leaves the rest queued.
   */
  async syncPending(request: SyncRequest = {}): Promise<SyncAllResult> {
    const pending = await this.sessions.withSession((client) =>
      this.writeBacks.pending(client, PENDING_LIMIT),
    );
    return this.syncEach(
      pending.map((entry) => ({ subdomain: entry.subdomain })),
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
      () => this.reconcile(target, request, fromWriteBackQueue),
      (result) => ({
        key: result.key,
        direction: result.direction,
        change: result.change,
        reason: result.reason,
      }),
    );
  }

  /**
   * Decides and applies one tenant's sync on one session. A sync to Redis settles the tenant's
   * write-back entry, and so does a deletion; with `fromWriteBackQueue` (the tenant is queued),
   * so does any other outcome that is not a dry run.
   */
  private async reconcile(
    target: SyncTarget,
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncResult> {
    const subdomain = this.validator.requireSubdomain(target.subdomain);
    const dryRun = request.dryRun ?? false;

    const session = await this.sessions.open();
    const { client } = session;
    try {
      const row = await this.readRow(client, subdomain);
      const key = this.keyOf(subdomain, row, target.key);
      const done = (decided: SyncDecision): SyncResult => ({ subdomain, key, ...decided, dryRun });

      // Taken before Redis is read: a PostgreSQL write committed after this read is not
      // overwritten with what was read (the merge refuses it, and the sync says so).
      const fence = await this.merges.fence(
        async (sql) => (await client.query<{ fence: string }>(sql)).rows,
      );
      // The key is classified exactly as the migration classifies it (a renamed key included),
      // so sync and migrate agree on what the record is.
      const [entry] = await this.reader.fetch([key], this.options.maxValueBytes);
      const raw = entry.kind === 'value' ? entry.value : null;
      const prepared = await this.classifier.classify({ cursor: '0', entries: [entry] });
      const candidate = prepared.candidates[0];
      const redisProblems: OutcomeReason[] = prepared.exceptions[0]?.reasons ?? [];

      if (!row && entry.kind === 'vanished') {
        if (fromWriteBackQueue && !dryRun) await this.writeBacks.settle(client, subdomain);
        throw new TenantNotFoundError(
          `tenant "${subdomain}" exists in neither Redis nor PostgreSQL`,
          { subdomain },
        );
      }
      if (!row && !candidate) {
        throw new InvalidOptionError(
          `"${subdomain}" is only in Redis and its record is invalid: ${redisProblems.map((r) => r.message).join('; ')}`,
          {
            reasons: redisProblems,
          },
        );
      }
      if (candidate && candidate.record.subdomain !== subdomain) {
        throw new InvalidTenantRecordError(
          `key ${key} names tenant "${candidate.record.subdomain}", not "${subdomain}"`,
          { subdomain, key },
        );
      }
      const conflict = redisProblems.find((r) => r.code === 'subdomain-conflict');
      if (row && conflict) {
        // Another key claims the same subdomain. Writing PostgreSQL's copy over this key would
        // drop whatever Redis changed in it; which key is the tenant's is the operator's call.
        throw new InvalidTenantRecordError(
          `"${subdomain}" is claimed by two Redis keys, ${key} and ${this.options.keyPrefix + subdomain}; delete the one that is not the tenant's, then sync again`,
          { subdomain, key, reasons: redisProblems },
        );
      }

      const redisChanged =
        candidate !== undefined && row !== null && candidate.record.sourceHash !== row.source_hash;
      const postgresChanged = row?.changed_in_postgres ?? false;
      let decided: SyncDecision;
      if (!row) decided = decision('redis-to-postgres', 'write', 'only Redis has the tenant');
      else if (entry.kind === 'vanished')
        decided = await this.decideVanished(
          client,
          subdomain,
          key,
          row,
          request,
          fromWriteBackQueue,
        );
      else if (!candidate)
        decided = decision(
          'postgres-to-redis',
          'write',
          'the Redis record is invalid; PostgreSQL has a valid one',
        );
      else if (redisChanged && postgresChanged) {
        if (!request.prefer) {
          throw new InvalidOptionError(
            `both stores changed "${subdomain}" since its last migration; choose the side that wins with prefer redis or prefer postgres`,
            { subdomain },
          );
        }
        decided =
          request.prefer === 'redis'
            ? decision('redis-to-postgres', 'write', 'both changed; Redis preferred')
            : decision('postgres-to-redis', 'write', 'both changed; PostgreSQL preferred');
      } else if (redisChanged)
        decided = decision('redis-to-postgres', 'write', 'Redis changed since the last migration');
      else if (postgresChanged)
        decided = decision(
          'postgres-to-redis',
          'write',
          'PostgreSQL changed since the last migration',
        );
      else decided = decision('none', 'none', 'the stores already agree on this tenant');

      if (dryRun) return done(decided);
      if (decided.change === 'delete')
        await this.deletePostgres(client, subdomain, key, row as SyncRow);
      else if (decided.direction === 'redis-to-postgres')
        await this.writePostgres(client, subdomain, candidate ? [candidate] : [], fence);
      else if (decided.direction === 'postgres-to-redis')
        await this.writeRedis(client, subdomain, key, row as SyncRow, raw);
      // A PostgreSQL-to-Redis write and a deletion settled the tenant's entry themselves.
      if (
        fromWriteBackQueue &&
        decided.direction !== 'postgres-to-redis' &&
        decided.change !== 'delete'
      )
        await this.writeBacks.settle(client, subdomain);
      return done(decided);
    } finally {
      await session.release();
    }
  }

  /**
   * The tenant's Redis key: the one its row was migrated from when that is under the configured
   * prefix (its name need not be prefix + subdomain: `MyShop` migrates as `myshop`); for a
   * tenant PostgreSQL does not have, the key the caller found it under; else prefix + subdomain.
   */
  private keyOf(subdomain: string, row: SyncRow | null, known: string | null | undefined): string {
    return redisKeyOf(this.options.keyPrefix, subdomain, row ? row.source_key : known);
  }

  /**
   * The decision for a tenant PostgreSQL has and its key does not. A key the row was migrated
   * from that is gone was deleted or expired in Redis, a change that flows to PostgreSQL as a
   * deletion, unless PostgreSQL changed the tenant too (both changed: `prefer` decides). A
   * tenant that never had that key, or whose key cleanup deleted on purpose, has nothing to
   * follow: it is written back when PostgreSQL holds something Redis lacks.
   */
  private async decideVanished(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: SyncRow,
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncDecision> {
    if (row.source_key !== key)
      return decision(
        'postgres-to-redis',
        'write',
        'only PostgreSQL has the tenant (it was not migrated from this key)',
      );
    // A queued write-back is a PostgreSQL write Redis missed, whatever the timestamps say.
    const postgresChanged = row.changed_in_postgres || fromWriteBackQueue;
    if (await this.wasCleanedUp(client, row)) {
      return postgresChanged
        ? decision(
            'postgres-to-redis',
            'write',
            'cleanup deleted the key on purpose, and PostgreSQL changed the tenant since',
          )
        : decision(
            'none',
            'none',
            'cleanup deleted the key on purpose; PostgreSQL holds the tenant unchanged',
          );
    }
    if (!postgresChanged) {
      return decision(
        'redis-to-postgres',
        'delete',
        'the key was deleted or expired in Redis, and PostgreSQL has not changed the tenant since its last migration',
      );
    }
    const both = `both changed (deleted or expired in Redis, ${row.changed_in_postgres ? 'edited in PostgreSQL' : 'a PostgreSQL write Redis missed is queued'})`;
    if (request.prefer === 'redis')
      return decision('redis-to-postgres', 'delete', `${both}; Redis preferred`);
    if (request.prefer === 'postgres')
      return decision('postgres-to-redis', 'write', `${both}; PostgreSQL preferred`);
    throw new InvalidOptionError(
      `both stores changed "${subdomain}" since its last migration: its key ${key} was deleted or expired in Redis, and it was edited in PostgreSQL; ` +
        'choose the side that wins with prefer redis (delete it from PostgreSQL) or prefer postgres (write it back to Redis)',
      { subdomain, key },
    );
  }

  private async readRow(client: PoolClient, subdomain: string): Promise<SyncRow | null> {
    const { rows } = await client.query<SyncRow>(this.sql.selectRow, [subdomain]);
    return rows[0] ?? null;
  }

  /** Whether cleanup deleted the tenant's key on purpose, with the value the row still records. */
  private async wasCleanedUp(client: PoolClient, row: SyncRow): Promise<boolean> {
    const { rows } = await client.query<{ cleaned: boolean }>(this.sql.wasCleanedUp, [
      row.subdomain,
      row.source_hash,
    ]);
    return rows[0].cleaned;
  }

  /**
   * Compare-and-delete: deletes the row only if it is still the one decided on (see the
   * statement). `overridesPostgres`: the decision knowingly discards a PostgreSQL change.
   */
  private async deleteIfUnchanged(
    client: PoolClient,
    row: SyncRow,
    overridesPostgres: boolean,
  ): Promise<boolean> {
    const { rowCount } = await client.query(this.sql.deleteIfUnchanged, [
      row.subdomain,
      row.source_hash,
      row.updated_us,
      overridesPostgres,
    ]);
    return rowCount === 1;
  }

  /**
   * Redis to PostgreSQL for a key deleted or expired in Redis: deletes the row (compare-and-
   * delete) and settles its write-back entry in one transaction. A key back in Redis by then
   * is a newer change than the deletion, so nothing is deleted.
   */
  private async deletePostgres(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: SyncRow,
  ): Promise<void> {
    await this.sessions.transaction(client, async () => {
      if (!(await this.deleteIfUnchanged(client, row, row.changed_in_postgres))) {
        throw new ConcurrentChangeError(
          `"${subdomain}" changed in PostgreSQL while it was being synced; nothing was deleted, run sync again`,
          { subdomain },
        );
      }
      const [present] = await this.reader.exist([key]);
      if (present)
        throw new ConcurrentChangeError(
          `"${subdomain}" was written to Redis while it was being synced; nothing was deleted, run sync again`,
          { subdomain, key },
        );
      // A migration batch or resolver that read the key before it went must not bring it back.
      await this.tombstones.mark(client, subdomain, key);
      await this.writeBacks.settle(client, subdomain);
    });
  }

  /**
   * Redis to PostgreSQL: the one record goes through the migration's own merge (Redis wins),
   * guarded by the fence taken before Redis was read: a row written (or a tenant deleted) in
   * PostgreSQL since is kept, and the sync fails with ConcurrentChangeError.
   */
  private async writePostgres(
    client: PoolClient,
    subdomain: string,
    staged: Parameters<TenantMergeRepository['stage']>[1],
    fence: string,
  ): Promise<void> {
    await this.sessions.transaction(client, async () => {
      await this.merges.prepareSession(client, 'sync_stage', 'DROP');
      await this.merges.stage(client, staged, 'sync_stage');
      const merged = await this.merges.mergeStaged(client, 'overwrite', fence, 'sync_stage');
      if (merged.unwritten.has(subdomain)) {
        throw new ConcurrentChangeError(
          `"${subdomain}" changed in PostgreSQL while it was being synced; nothing was written, run sync again`,
          { subdomain },
        );
      }
    });
  }

  /**
   * PostgreSQL to Redis: writes the tenant in its source's format (legacy readers keep
   * working), only if the key still holds what was read, then records that value as migrated.
   */
  private async writeRedis(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: SyncRow,
    current: Buffer | null,
  ): Promise<void> {
    const value = redisValueOf(row);
    const written = await this.redis.eval(
      COMPARE_AND_SET,
      1,
      key,
      current === null ? '' : 'present',
      current ?? '',
      value,
    );
    if (written !== 1)
      throw new ConcurrentChangeError(
        `"${subdomain}" changed in Redis while it was being synced; nothing was written, run sync again`,
        { subdomain },
      );
    await this.writeBacks.markWritten(client, subdomain, key, value);
  }
}
