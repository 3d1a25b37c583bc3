import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';

/** The tenants table and its side tables, counted. */
export interface TenantCounts {
  total: number;
  legacy: number;
  enhanced: number;
  app: number;
  /** Tenants whose profile is not complete. */
  incomplete: number;
  /** Subdomains cleanup ever deleted from Redis. */
  cleanedUp: number;
  /** Redis write-backs waiting for `sync --pending`. */
  pendingWriteBacks: number;
}

/** The counts behind `stats`: one query over the tenants, cleanup and write-back tables. */
@Injectable()
export class TenantStatsRepository {
  private readonly countsSql: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
  ) {
    const { tenants, redisCleanups, redisWriteBacks } = options.tables;
    this.countsSql = `
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE source_format = 'legacy')::int AS legacy,
             count(*) FILTER (WHERE source_format = 'enhanced')::int AS enhanced,
             count(*) FILTER (WHERE source_format = 'app')::int AS app,
             count(*) FILTER (WHERE NOT profile_complete)::int AS incomplete,
             (SELECT count(DISTINCT subdomain) FROM ${redisCleanups})::int AS cleaned,
             (SELECT count(*) FROM ${redisWriteBacks})::int AS pending
        FROM ${tenants}`;
  }

  async counts(): Promise<TenantCounts> {
    const [row] = await this.dataSource.query<
      {
        total: number;
        legacy: number;
        enhanced: number;
        app: number;
        incomplete: number;
        cleaned: number;
        pending: number;
      }[]
    >(this.countsSql);
    return {
      total: row.total,
      legacy: row.legacy,
      enhanced: row.enhanced,
      app: row.app,
      incomplete: row.incomplete,
      cleanedUp: row.cleaned,
      pendingWriteBacks: row.pending,
    };
  }
}
