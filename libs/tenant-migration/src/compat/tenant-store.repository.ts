import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import {
  TENANT_COLUMNS,
  tenantColumnValues,
  UPDATABLE_COLUMNS,
} from '../tenants/tenant-columns.js';
import { selectTenantRowSql, TENANT_ROW_SELECT, type TenantRow } from '../tenants/tenant-row.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { tenantParam } from '../migration/tenant-merge.sql.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import type { StagedTenant } from '../migration/tenant-merge.types.js';

/** Where the provenance columns sit in the parameters of an insert. */
const SOURCE_FORMAT = TENANT_COLUMNS.indexOf('source_format');
const SOURCE_KEY = TENANT_COLUMNS.indexOf('source_key');
const SOURCE_HASH = TENANT_COLUMNS.indexOf('source_hash');
/** Where the updatable columns sit in them. */
const UPDATABLE = UPDATABLE_COLUMNS.map((c) => TENANT_COLUMNS.indexOf(c));

/**
 * The tenants rows `TenantService` writes and reads and the resolver looks up (table
 * `tables.tenants`): on the caller's client and in its transaction, or (`findOnPool`) on any
 * pooled connection. Each answers the row as the read paths select it.
 */
@Injectable()
export class TenantStoreRepository {
  /** The statements, built once for the configured tenants table. */
  private readonly sql: { insert: string; update: string; select: string; lock: string };

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
    private readonly merges: TenantMergeRepository,
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
   * Inserts a tenant created in PostgreSQL (`source_format` 'app', no Redis key or value it
   * came from); null when its id or subdomain is taken.
   */
  async insertCreated(
    client: PoolClient,
    key: string,
    record: TenantRecord,
  ): Promise<TenantRow | null> {
    const values = tenantColumnValues({ key, record });
    values[SOURCE_FORMAT] = 'app';
    values[SOURCE_KEY] = null;
    values[SOURCE_HASH] = null;
    const { rows } = await client.query<TenantRow>(this.sql.insert, values);
    return rows[0] ?? null;
  }

  /** Writes the record's updatable columns to the tenant's row; identity and provenance stay. */
  async update(
    client: PoolClient,
    subdomain: string,
    key: string,
    record: TenantRecord,
  ): Promise<TenantRow> {
    const values = tenantColumnValues({ key, record });
    const { rows } = await client.query<TenantRow>(this.sql.update, [
      subdomain,
      ...UPDATABLE.map((i) => values[i]),
    ]);
    return rows[0];
  }

  /** The tenant's row, or null. */
  async find(client: PoolClient, subdomain: string): Promise<TenantRow | null> {
    const { rows } = await client.query<TenantRow>(this.sql.select, [subdomain]);
    return rows[0] ?? null;
  }

  /** The tenant's row, or null, read on a pooled connection of its own (no session held). */
  async findOnPool(subdomain: string): Promise<TenantRow | null> {
    const rows = await this.dataSource.query<TenantRow[]>(this.sql.select, [subdomain]);
    return rows[0] ?? null;
  }

  /** A write fence (`TenantMergeRepository.fence`) taken on a pooled connection of its own. */
  fenceOnPool(): Promise<string> {
    return this.merges.fence((sql) => this.dataSource.query<{ fence: string }[]>(sql));
  }

  /** The on-the-fly migration's insert (`TenantMergeRepository.insertIfAbsent`), on the pool. */
  insertIfAbsentOnPool(staged: StagedTenant, fence: string): Promise<void> {
    return this.merges.insertIfAbsent(
      (sql, params) => this.dataSource.query(sql, params),
      staged,
      fence,
    );
  }

  /** The tenant's row, locked for the rest of the caller's transaction; or null. */
  async lock(client: PoolClient, subdomain: string): Promise<TenantRow | null> {
    const { rows } = await client.query<TenantRow>(this.sql.lock, [subdomain]);
    return rows[0] ?? null;
  }
}
