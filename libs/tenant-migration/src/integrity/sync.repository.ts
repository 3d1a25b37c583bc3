import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { TENANT_ROW_SELECT, type TenantRow } from '../tenants/tenant-row.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { type StagedTenant } from '../migration/tenant-merge.types.js';
import { TenantTombstoneRepository } from '../tenants/tenant-tombstone.repository.js';
import { RedisWriteBackQueue } from '../tenants/redis-write-back.queue.js';

/**
 * The tenant row as sync decides on it: the read paths' row, plus the key it was migrated from
 * and its last write time in exact microseconds (what a compare-and-delete compares).
 */
export interface SyncRow extends TenantRow {
  updated_us: string;
}

const UPDATED_US = '(extract(epoch FROM updated_at) * 1000000)::bigint';

/** The staging table a sync merges its one record through (dropped at commit). */
const STAGE = 'sync_stage';

/**
 * The PostgreSQL side of a sync: the tenant's row, whether cleanup deleted its key, and the
 * writes a sync makes (merge, compare-and-delete, tombstone, write-back bookkeeping), on the
 * caller's session.
 */
@Injectable()
export class SyncRepository {
  /** The statements, built once for the configured table names. */
  private readonly sql: { selectRow: string; deleteIfUnchanged: string; wasCleanedUp: string };

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    private readonly merges: TenantMergeRepository,
    private readonly tombstones: TenantTombstoneRepository,
    private readonly writeBacks: RedisWriteBackQueue,
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

  async readRow(client: PoolClient, subdomain: string): Promise<SyncRow | null> {
    const { rows } = await client.query<SyncRow>(this.sql.selectRow, [subdomain]);
    return rows[0] ?? null;
  }

  /** A write fence taken on the session (see `TenantMergeRepository.fence`). */
  fence(client: PoolClient): Promise<string> {
    return this.merges.fence(async (sql) => (await client.query<{ fence: string }>(sql)).rows);
  }

  /** Whether cleanup deleted the tenant's key on purpose, with the value the row still records. */
  async wasCleanedUp(client: PoolClient, row: SyncRow): Promise<boolean> {
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
  async deleteIfUnchanged(
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
   * Merges the staged records with the migration's own merge (Redis wins), guarded by `fence`:
   * the subdomains it left unwritten because PostgreSQL changed them since.
   */
  async merge(client: PoolClient, staged: StagedTenant[], fence: string): Promise<Set<string>> {
    await this.merges.prepareSession(client, STAGE, 'DROP');
    await this.merges.stage(client, staged, STAGE);
    return (await this.merges.mergeStaged(client, 'overwrite', fence, STAGE)).unwritten;
  }

  /** Tombstones a tenant whose row was deleted in this transaction (`key`: its Redis key). */
  markDeleted(client: PoolClient, subdomain: string, key: string): Promise<void> {
    return this.tombstones.mark(client, subdomain, key);
  }

  /** Records that Redis now holds `value` for the tenant, and settles its write-back entry. */
  markWritten(client: PoolClient, subdomain: string, key: string, value: string): Promise<void> {
    return this.writeBacks.markWritten(client, subdomain, key, value);
  }

  /** Settles the tenant's write-back entry. */
  settle(client: PoolClient, subdomain: string): Promise<void> {
    return this.writeBacks.settle(client, subdomain);
  }

  /** The subdomains of the oldest pending write-backs, at most `limit`. */
  async pending(client: PoolClient, limit: number): Promise<string[]> {
    return (await this.writeBacks.pending(client, limit)).map((entry) => entry.subdomain);
  }
}
