import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { AuditLogEntity } from '../audit/audit-log.entity.js';
import { quarantineName } from '../migration/tenant-merge.sql.js';
import type { StagedTenant } from '../migration/tenant-merge.types.js';
import type { TenantEntity } from '../tenants/tenant.entity.js';
import {
  EPOCH_MS_COLUMNS,
  PARAM_TYPES,
  TENANT_COLUMN_TABLE,
  TENANT_COLUMNS,
  tenantColumnValues,
} from '../tenants/tenant-columns.js';
import { RedisWriteBackQueue, type PendingWriteBack } from '../tenants/redis-write-back.queue.js';
import { FIELD_DIFFERENCES, ROW_DIFFERS } from './row-differs.sql.js';
import type { FieldDifference } from './integrity.types.js';
import type { TenantLookupException } from './tenant-lookup.types.js';

/** A tenants row under its entity's property names, and whether it changed since its migration. */
export type LookupRow = { [P in keyof TenantEntity]: TenantEntity[P] } & {
  changedInPostgres: boolean;
};

/** How a mapped Redis record and its tenant compare: the check's predicate and field list. */
export interface LookupComparison {
  differs: boolean;
  fields: FieldDifference[];
}

/**
 * One mapped record as the check's staging table holds it (alias s): the record columns as
 * typed parameters, timestamps as epoch milliseconds.
 */
const STAGED_RECORD = TENANT_COLUMNS.map(
  (c, i) => `$${i + 1}::${EPOCH_MS_COLUMNS.has(c) ? 'bigint' : PARAM_TYPES[c]} AS ${c}`,
).join(', ');

/**
 * The PostgreSQL side of a tenant lookup, on the caller's session (a read-only snapshot): the
 * row, its comparison with a mapped Redis record by the integrity check's own SQL, whether
 * cleanup deleted its key, and what the quarantine, the audit log and the write-back queue
 * hold of it. Reads only.
 */
@Injectable()
export class TenantLookupRepository {
  private readonly sql: {
    row: string;
    compare: string;
    cleanedUp: string;
    exceptions: string;
    audit: string;
  };

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    private readonly writeBacks: RedisWriteBackQueue,
  ) {
    const { tenants, redisCleanups, migrationExceptions, auditLog } = options.tables;
    const columns = TENANT_COLUMN_TABLE.map((c) => `${c.name} AS "${c.property}"`).join(', ');
    this.sql = {
      row: `SELECT ${columns}, (migrated_at IS NULL OR updated_at > migrated_at) AS "changedInPostgres"
              FROM ${tenants} WHERE subdomain = $1`,
      compare: `SELECT ${ROW_DIFFERS} AS differs, coalesce(${FIELD_DIFFERENCES}, '[]'::jsonb) AS fields
                  FROM (SELECT ${STAGED_RECORD}) s JOIN ${tenants} t ON t.subdomain = s.subdomain`,
      cleanedUp: `SELECT EXISTS (SELECT 1 FROM ${redisCleanups} WHERE subdomain = $1 AND source_hash = $2) AS cleaned`,
      // The key as the quarantine names it, or any spelling of prefix + subdomain in another case
      // (the run page's `subdomain` filter): `MyShop` is quarantined under its own name.
      exceptions: `SELECT run_id AS "runId", key, bucket, reasons, created_at AS at
                     FROM ${migrationExceptions}
                    WHERE starts_with(key, $1) AND (key = $2 OR lower(key) = lower($3))
                    ORDER BY created_at DESC, id DESC LIMIT $4`,
      // A subdomain given to a sync is audited as it was typed: compared as sync normalises it.
      audit: `SELECT id, at, actor, action, status, params, outcome FROM ${auditLog}
               WHERE lower(btrim(params->>'subdomain')) = $1
               ORDER BY at DESC, id DESC LIMIT $2`,
    };
  }

  async row(client: PoolClient, subdomain: string): Promise<LookupRow | null> {
    const { rows } = await client.query<LookupRow>(this.sql.row, [subdomain]);
    return rows[0] ?? null;
  }

  /** How the record compares with the tenants row of its subdomain; null when there is none. */
  async compare(client: PoolClient, staged: StagedTenant): Promise<LookupComparison | null> {
    const { rows } = await client.query<LookupComparison>(
      this.sql.compare,
      tenantColumnValues(staged),
    );
    return rows[0] ?? null;
  }

  /** Whether cleanup deleted the tenant's key while it held the value the row was migrated from. */
  async wasCleanedUp(client: PoolClient, subdomain: string, sourceHash: string): Promise<boolean> {
    const { rows } = await client.query<{ cleaned: boolean }>(this.sql.cleanedUp, [
      subdomain,
      sourceHash,
    ]);
    return rows[0].cleaned;
  }

  /** The quarantine rows of `key` (or prefix + subdomain in any case), newest first. */
  async exceptions(
    client: PoolClient,
    names: { prefix: string; key: string; subdomain: string },
    limit: number,
  ): Promise<TenantLookupException[]> {
    const { rows } = await client.query<TenantLookupException>(this.sql.exceptions, [
      quarantineName({ key: names.prefix }),
      quarantineName({ key: names.key }),
      quarantineName({ key: names.prefix + names.subdomain }),
      limit,
    ]);
    return rows;
  }

  /** The audit entries whose `params.subdomain` names the (normalised) subdomain, newest first. */
  async audit(client: PoolClient, subdomain: string, limit: number): Promise<AuditLogEntity[]> {
    const { rows } = await client.query<AuditLogEntity>(this.sql.audit, [subdomain, limit]);
    return rows;
  }

  /** The tenant's pending Redis write-back, if any. */
  pendingWriteBacks(client: PoolClient, subdomain: string): Promise<PendingWriteBack[]> {
    return this.writeBacks.pendingFor(client, subdomain);
  }
}
