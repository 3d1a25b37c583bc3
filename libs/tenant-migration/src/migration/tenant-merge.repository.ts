import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { copyRow } from '../common/copy-text.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import type { ExistingTenantState } from './outcome.js';
import { updatePredicateSql } from './outcome.js';
import type { ConflictPolicy, ExceptionBucket, OutcomeReason } from './migration.types.js';

/** One record staged for the merge, with the Redis key it came from. */
export interface StagedTenant {
  key: string;
  record: TenantRecord;
}

/** A key quarantined by a run. */
export interface ExceptionRow {
  key: string;
  bucket: ExceptionBucket;
  reasons: OutcomeReason[];
  value?: Buffer;
}

const TENANT_COLUMNS = [
  'id', 'subdomain', 'emoji', 'created_at', 'business_name', 'business_category', 'business_description',
  'owner_name', 'email', 'phone', 'address', 'logo', 'brand_colors', 'feature_whatsapp', 'feature_home_visit',
  'feature_analytics', 'feature_custom_templates', 'feature_multi_staff', 'subscription_plan',
  'subscription_status', 'subscription_expires_at', 'profile_complete', 'source_format', 'source_id',
  'source_key', 'source_hash',
] as const;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const tenantCopyRow = ({ key, record: r }: StagedTenant): string =>
  copyRow([
    r.id, r.subdomain, r.emoji, iso(r.createdAt), r.businessName, r.businessCategory, r.businessDescription,
    r.ownerName, r.email, r.phone, r.address, r.logo, r.brandColors === null ? null : JSON.stringify(r.brandColors),
    r.features.whatsapp, r.features.homeVisit, r.features.analytics, r.features.customTemplates,
    r.features.multiStaff, r.subscription.plan, r.subscription.status, iso(r.subscription.expiresAt),
    r.profileComplete, r.sourceFormat, r.sourceId, key, r.sourceHash,
  ]);

/** How much of a quarantined value is kept in the table; the sha256 and size cover the rest. */
export const EXCEPTION_VALUE_PREFIX_BYTES = 1024;

/**
 * The set-based write path of the migration: COPY into a session-local staging table, then
 * one INSERT .. ON CONFLICT .. DO UPDATE .. WHERE per batch. Callers own the transaction.
 */
@Injectable()
export class TenantMergeRepository {
  /** Creates the staging table on this session once; it empties itself at every commit. */
  async prepareSession(client: PoolClient): Promise<void> {
    await client.query(
      'CREATE TEMP TABLE IF NOT EXISTS tenant_stage (LIKE tenants INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
    );
  }

  /** The merge-relevant state of the given subdomains; `lock` takes row locks (FOR UPDATE). */
  async findExisting(client: PoolClient, subdomains: string[], lock: boolean): Promise<Map<string, ExistingTenantState>> {
    const found = new Map<string, ExistingTenantState>();
    if (subdomains.length === 0) return found;
    const { rows } = await client.query<{
      subdomain: string;
      source_hash: string | null;
      source_key: string | null;
      migrated_at: Date | null;
      updated_at: Date;
    }>(
      `SELECT subdomain, source_hash, source_key, migrated_at, updated_at
         FROM tenants WHERE subdomain = ANY($1::text[])${lock ? ' FOR UPDATE' : ''}`,
      [subdomains],
    );
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

  /**
   * Stages and merges the records; returns the subdomains written and whether each was
   * inserted. A record the guard refused (another writer got there first) is absent.
   */
  async merge(client: PoolClient, staged: StagedTenant[], policy: ConflictPolicy): Promise<Map<string, boolean>> {
    const written = new Map<string, boolean>();
    if (staged.length === 0) return written;
    const columns = TENANT_COLUMNS.join(', ');
    const copy = client.query(copyFrom(`COPY tenant_stage (${columns}) FROM STDIN`));
    await pipeline(Readable.from([staged.map(tenantCopyRow).join('')]), copy);

    const updates = TENANT_COLUMNS.filter((c) => c !== 'id' && c !== 'subdomain')
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    const { rows } = await client.query<{ subdomain: string; inserted: boolean }>(
      `INSERT INTO tenants (${columns}, migrated_at, updated_at)
       SELECT ${columns}, now(), now() FROM tenant_stage
       ON CONFLICT (subdomain) DO UPDATE SET ${updates}, migrated_at = now(), updated_at = now()
       WHERE ${updatePredicateSql(policy)}
       RETURNING subdomain, (xmax = 0) AS inserted`,
    );
    for (const row of rows) written.set(row.subdomain, row.inserted);
    return written;
  }

  /** Records quarantined keys of one run (rejected or skipped) with a bounded value prefix. */
  async insertExceptions(client: PoolClient, runId: string, rows: ExceptionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await client.query(
      `INSERT INTO migration_exceptions (run_id, key, bucket, reasons, value_prefix, value_sha256, value_size)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::bytea[], $6::text[], $7::int[])`,
      [
        runId,
        rows.map((r) => r.key),
        rows.map((r) => r.bucket),
        rows.map((r) => JSON.stringify(r.reasons)),
        rows.map((r) => (r.value ? r.value.subarray(0, EXCEPTION_VALUE_PREFIX_BYTES) : null)),
        rows.map((r) => (r.value ? createHash('sha256').update(r.value).digest('hex') : null)),
        rows.map((r) => (r.value ? r.value.length : null)),
      ],
    );
  }
}
