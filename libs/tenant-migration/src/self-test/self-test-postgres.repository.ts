import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { TENANT_ROW_SELECT, type TenantRow } from '../tenants/tenant-row.js';

/** The SELECTs of the self-test, on the caller's (read-only) client. */
@Injectable()
export class SelfTestPostgresRepository {
  private readonly tenantRowsSql: string;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions) {
    this.tenantRowsSql = `SELECT ${TENANT_ROW_SELECT} FROM ${options.tables.tenants} WHERE subdomain = ANY($1::text[])`;
  }

  /** The server's version and the database the client is connected to. */
  async server(client: PoolClient): Promise<{ version: string; database: string }> {
    const { rows } = await client.query<{ version: string; database: string }>(
      `SELECT current_setting('server_version') AS version, current_database() AS database`,
    );
    return rows[0];
  }

  /** The tenants rows of these subdomains, as the resolver selects them. */
  async tenantRows(client: PoolClient, subdomains: readonly string[]): Promise<TenantRow[]> {
    const { rows } = await client.query<TenantRow>(this.tenantRowsSql, [subdomains]);
    return rows;
  }
}
