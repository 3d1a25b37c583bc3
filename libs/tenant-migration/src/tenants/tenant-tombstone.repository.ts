import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';

/**
 * Deletes tenants in PostgreSQL and leaves a tombstone of each (table `tables.tenantTombstones`),
 * in the caller's transaction. The tombstone carries the deleting transaction, so a migration
 * batch, a resolver fallback or a sync that read Redis before the delete committed does not
 * bring the tenant back (see `writtenBeforeFence`). A tombstone is written even when no row was
 * there: the delete also removed (or stands for) the Redis key a stale reader may have seen.
 */
@Injectable()
export class TenantTombstoneRepository {
  private readonly deleteSql: string;
  private readonly markSql: string;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions) {
    const { tenants, tenantTombstones } = options.tables;
    const mark = (sourceKey: string) => `
        INSERT INTO ${tenantTombstones} AS d (subdomain, source_key) VALUES ($1, ${sourceKey})
        ON CONFLICT (subdomain) DO UPDATE
          SET source_key = coalesce(EXCLUDED.source_key, d.source_key), deleted_xact = pg_current_xact_id(), deleted_at = now()`;
    this.deleteSql = `
      WITH gone AS (DELETE FROM ${tenants} WHERE subdomain = $1 RETURNING source_key),
      marked AS (${mark('(SELECT source_key FROM gone)')})
      SELECT count(*)::int AS deleted, max(source_key) AS source_key FROM gone`;
    this.markSql = mark('$2');
  }

  /** Deletes the tenant's row (if any) and tombstones it: whether a row was deleted, and its source key. */
  async delete(
    client: PoolClient,
    subdomain: string,
  ): Promise<{ row: boolean; sourceKey: string | null }> {
    const { rows } = await client.query<{ deleted: number; source_key: string | null }>(
      this.deleteSql,
      [subdomain],
    );
    return { row: rows[0].deleted === 1, sourceKey: rows[0].source_key };
  }

  /** Tombstones a tenant whose row the caller deleted in this transaction (`sourceKey`: its key). */
  async mark(client: PoolClient, subdomain: string, sourceKey: string | null): Promise<void> {
    await client.query(this.markSql, [subdomain, sourceKey]);
  }
}
