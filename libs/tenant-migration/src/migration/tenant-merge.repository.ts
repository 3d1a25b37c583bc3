import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { storableJson } from '../common/storable-text.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { tenantColumnValues } from '../tenants/tenant-columns.js';
import type { ExistingTenantState } from './outcome.js';
import type { ConflictPolicy } from './migration.types.js';
import type { ExceptionRow, MergeOutcome, StagedTenant } from './tenant-merge.types.js';
import {
  COLUMN_LIST,
  DIRECT_COPY_COLUMNS,
  EXCEPTION_VALUE_PREFIX_BYTES,
  mergeStagedSql,
  mergeStatements,
  quarantineName,
  stagingTableSql,
  tenantCopyRow,
  tenantDirectRow,
  type MergeStatements,
} from './tenant-merge.sql.js';

// Where the rest of the library has always imported these from.

/**
 * The set-based write path of the migration: COPY into a session-local staging table, then
 * one INSERT .. ON CONFLICT .. DO UPDATE .. WHERE per batch. Callers own the transaction.
 */
@Injectable()
export class TenantMergeRepository {
  private readonly tenants: string;
  /** Built once: the statements run per batch (or per resolved key) need no rebuilding. */
  private readonly sql: MergeStatements;
  /** The merge statement per staging table and policy, built on first use. */
  private readonly mergeSql = new Map<string, string>();

  private readonly tombstones: string;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions) {
    this.tenants = options.tables.tenants;
    this.tombstones = options.tables.tenantTombstones;
    this.sql = mergeStatements(options.tables);
  }

  /**
   * Creates a staging table on this session (by default the migration's, which empties itself
   * at every commit). Timestamps are staged as epoch milliseconds and converted by the merge,
   * exactly (integer arithmetic).
   */
  async prepareSession(
    client: PoolClient,
    table = 'tenant_stage',
    onCommit: 'DELETE ROWS' | 'DROP' = 'DELETE ROWS',
  ): Promise<void> {
    await client.query(stagingTableSql(this.tenants, table, onCommit));
  }

  /** The merge-relevant state of the given subdomains. */
  async findExisting(
    client: PoolClient,
    subdomains: string[],
  ): Promise<Map<string, ExistingTenantState>> {
    const found = new Map<string, ExistingTenantState>();
    if (subdomains.length === 0) return found;
    const { rows } = await client.query<{
      subdomain: string;
      source_hash: string | null;
      source_key: string | null;
      migrated_at: Date | null;
      updated_at: Date;
    }>(this.sql.findExisting, [subdomains]);
    for (const row of rows) {
      found.set(row.subdomain, {
        sourceHash: row.source_hash,
        sourceKey: row.source_key,
        migratedAt: row.migrated_at,
        updatedAt: row.updated_at,
      });
    }
    return found;
  }

  /** COPYs the records into this session's staging table (inside the caller's transaction). */
  async stage(client: PoolClient, staged: StagedTenant[], table = 'tenant_stage'): Promise<void> {
    if (staged.length === 0) return;
    const copy = client.query(copyFrom(`COPY ${table} (${COLUMN_LIST}) FROM STDIN`));
    await pipeline(Readable.from([staged.map(tenantCopyRow).join('')]), copy);
  }

  /**
   * COPYs the records straight into the tenants table (inside the caller's transaction): the
   * first load's write, when none of them has a row yet. A row that exists, or one another
   * session is inserting, fails the whole COPY with a unique violation; the caller rolls back
   * to its savepoint and merges instead. `migratedAt` is the transaction's `now()` as text.
   */
  async copyIntoTenants(
    client: PoolClient,
    staged: StagedTenant[],
    migratedAt: string,
  ): Promise<void> {
    if (staged.length === 0) return;
    const copy = client.query(copyFrom(`COPY ${this.tenants} (${DIRECT_COPY_COLUMNS}) FROM STDIN`));
    const lines = staged.map((s) => tenantDirectRow(s, migratedAt)).join('');
    await pipeline(Readable.from([lines]), copy);
  }

  /** The text of this transaction's `now()`, which every row it migrates gets as `migrated_at`. */
  async transactionNow(client: PoolClient): Promise<string> {
    const { rows } = await client.query<{ now: string }>(this.sql.transactionNow);
    return rows[0].now;
  }

  /**
   * Whether any of the subdomains was deleted (its tombstone) by a transaction the write fence
   * does not see committed: the merge would not bring such a tenant back.
   */
  async tombstonedAfterFence(
    client: PoolClient,
    subdomains: string[],
    fence: string,
  ): Promise<boolean> {
    if (subdomains.length === 0) return false;
    const { rowCount } = await client.query(this.sql.tombstonedAfterFence, [subdomains, fence]);
    return (rowCount ?? 0) > 0;
  }

  /** Empties this session's staging table (between the one-record merges of a refused batch). */
  async clearStage(client: PoolClient, table = 'tenant_stage'): Promise<void> {
    await client.query(`DELETE FROM ${table}`);
  }

  /**
   * Merges the staged rows into the tenants table with one INSERT .. ON CONFLICT .. DO UPDATE
   * .. WHERE (its SQL built once per staging table and policy). The answer is one row, not one
   * per tenant: which were updated and which the predicate refused
   * (unchanged, conflicting, or held by another key).
   */
  async mergeStaged(
    client: PoolClient,
    policy: ConflictPolicy,
    fence: string,
    table = 'tenant_stage',
  ): Promise<MergeOutcome> {
    const cacheKey = `${policy} ${table}`;
    let sql = this.mergeSql.get(cacheKey);
    if (sql === undefined) {
      sql = mergeStagedSql(this.tenants, this.tombstones, table, policy);
      this.mergeSql.set(cacheKey, sql);
    }
    const { rows } = await client.query<{ updated: string[]; unwritten: string[] }>(sql, [fence]);
    const [row] = rows;
    return { updated: new Set(row.updated), unwritten: new Set(row.unwritten) };
  }

  /**
   * Inserts one migrated tenant unless it exists (another process may have just migrated it):
   * the on-the-fly migration of the resolver. Same columns and conversions as the bulk merge.
   * `ON CONFLICT DO NOTHING` without a target makes every unique index an arbiter, so a
   * concurrent insert of the same tenant is never an error. `fence` was taken before Redis was
   * read: a tenant deleted after it (its tombstone) is not brought back.
   */
  async insertIfAbsent(
    run: (sql: string, params: unknown[]) => Promise<unknown>,
    staged: StagedTenant,
    fence: string,
  ): Promise<void> {
    await run(this.sql.insertIfAbsent, [...tenantColumnValues(staged), fence]);
  }

  /**
   * A write fence: a snapshot of which transactions have committed, taken before a writer
   * reads Redis (see `mergeStagedSql`). Any connection will do: the snapshot is global.
   */
  async fence(run: (sql: string) => Promise<{ fence: string }[]>): Promise<string> {
    const [row] = await run(this.sql.fence);
    return row.fence;
  }

  /** Records quarantined keys of one run (rejected or skipped) with a bounded value prefix. */
  async insertExceptions(client: PoolClient, runId: string, rows: ExceptionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await client.query(this.sql.insertExceptions, [
      runId,
      rows.map(quarantineName),
      rows.map((r) => r.bucket),
      rows.map((r) => storableJson(r.reasons)),
      rows.map((r) => (r.value ? r.value.subarray(0, EXCEPTION_VALUE_PREFIX_BYTES) : null)),
      rows.map((r) => (r.value ? createHash('sha256').update(r.value).digest('hex') : null)),
      rows.map((r) => (r.value ? r.value.length : null)),
    ]);
  }
}
