import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { copyValue } from '../common/copy-text.js';
import { storableJson, storableText } from '../common/storable-text.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import type { ExistingTenantState } from './outcome.js';
import { updatePredicateSql } from './outcome.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ConflictPolicy, ExceptionBucket } from './migration.types.js';

/** One record staged for the merge, with the Redis key it came from. */
export interface StagedTenant {
  key: string;
  record: TenantRecord;
}

/** What one merge did: staged subdomains not in `updated` or `unwritten` were inserted. */
export interface MergeOutcome {
  updated: Set<string>;
  unwritten: Set<string>;
}

/** A key quarantined by a run. */
export interface ExceptionRow {
  /** The key name; for a name that is not UTF-8, its escaped form (see `escapedName`). */
  key: string;
  bucket: ExceptionBucket;
  reasons: OutcomeReason[];
  value?: Buffer;
  /** `key` is the escaped form of a name that is not UTF-8 (`\xNN` for each byte it cannot show). */
  escapedName?: true;
}

/**
 * How the quarantine names a key: a UTF-8 name as it is with each backslash doubled, a name
 * that is not UTF-8 in its escaped form (`\xNN`, backslash as `\x5c`). A single backslash
 * followed by `x` then only ever comes from an escaped byte, so two keys never share a name
 * (a valid name spelled `\xff0` is stored `\\xff0`, the bytes ff 30 as `\xff0`).
 */
export const quarantineName = (row: Pick<ExceptionRow, 'key' | 'escapedName'>): string =>
  storableText(
    row.escapedName || !row.key.includes('\\') ? row.key : row.key.replace(/\\/g, '\\\\'),
  );

export const TENANT_COLUMNS = [
  'id',
  'subdomain',
  'emoji',
  'created_at',
  'business_name',
  'business_category',
  'business_description',
  'owner_name',
  'email',
  'phone',
  'address',
  'logo',
  'brand_colors',
  'feature_whatsapp',
  'feature_home_visit',
  'feature_analytics',
  'feature_custom_templates',
  'feature_multi_staff',
  'subscription_plan',
  'subscription_status',
  'subscription_expires_at',
  'profile_complete',
  'source_format',
  'source_id',
  'source_key',
  'source_hash',
] as const;

const COLUMN_LIST = TENANT_COLUMNS.join(', ');

const ms = (value: number | null): string => (value === null ? '\\N' : String(value));
/** SQL turning a staged epoch-milliseconds column into timestamptz without floating point. */
export const fromEpochMs = (column: string): string =>
  `to_timestamp(${column} / 1000) + (${column} % 1000) * interval '1 millisecond'`;
/** The columns the staging table and the parameters carry as epoch milliseconds. */
const EPOCH_MS_COLUMNS: ReadonlySet<string> = new Set(['created_at', 'subscription_expires_at']);
/** A staged column as the value of its tenants column (epoch milliseconds become timestamps). */
const stagedValue = (column: string): string =>
  EPOCH_MS_COLUMNS.has(column) ? fromEpochMs(column) : column;
/** Parameter `$n` as the value of a tenants column (epoch milliseconds become timestamps). */
export const tenantParam = (column: string, n: number): string =>
  EPOCH_MS_COLUMNS.has(column) ? fromEpochMs(`$${n}::bigint`) : `$${n}`;
const bool = (value: boolean): string => (value ? 't' : 'f');
/** The SQL types of the columns that are not text, for parameters PostgreSQL cannot type from a VALUES target. */
const PARAM_TYPES: Readonly<Record<string, string>> = {
  id: 'uuid',
  brand_colors: 'jsonb',
  feature_whatsapp: 'boolean',
  feature_home_visit: 'boolean',
  feature_analytics: 'boolean',
  feature_custom_templates: 'boolean',
  feature_multi_staff: 'boolean',
  profile_complete: 'boolean',
};
/** Parameter `$n` as a typed value of a tenants column, for INSERT .. SELECT. */
const typedParam = (column: string, n: number): string =>
  EPOCH_MS_COLUMNS.has(column) ? tenantParam(column, n) : `$${n}::${PARAM_TYPES[column] ?? 'text'}`;

/**
 * One COPY line, in TENANT_COLUMNS order. This runs once per migrated key, so it is written
 * out by hand: only free-text values can hold characters COPY must escape; ids, enums,
 * booleans and timestamps never do.
 */
export const tenantCopyRow = ({ key, record: r }: StagedTenant): string =>
  `${r.id}\t${copyValue(r.subdomain)}\t${copyValue(r.emoji)}\t${ms(r.createdAt)}\t${copyValue(r.businessName)}\t` +
  `${copyValue(r.businessCategory)}\t${copyValue(r.businessDescription)}\t${copyValue(r.ownerName)}\t` +
  `${copyValue(r.email)}\t${copyValue(r.phone)}\t${copyValue(r.address)}\t${copyValue(r.logo)}\t` +
  `${r.brandColors === null ? '\\N' : copyValue(JSON.stringify(r.brandColors))}\t${bool(r.features.whatsapp)}\t` +
  `${bool(r.features.homeVisit)}\t${bool(r.features.analytics)}\t${bool(r.features.customTemplates)}\t` +
  `${bool(r.features.multiStaff)}\t${r.subscription.plan}\t${r.subscription.status}\t${ms(r.subscription.expiresAt)}\t` +
  `${bool(r.profileComplete)}\t${r.sourceFormat}\t${copyValue(r.sourceId)}\t${copyValue(key)}\t${r.sourceHash}\n`;

/** The parameters of one tenant in TENANT_COLUMNS order (the COPY line's values, unescaped). */
export const tenantColumnValues = ({
  key,
  record: r,
}: StagedTenant): (string | number | boolean | null)[] => [
  r.id,
  r.subdomain,
  r.emoji,
  r.createdAt,
  r.businessName,
  r.businessCategory,
  r.businessDescription,
  r.ownerName,
  r.email,
  r.phone,
  r.address,
  r.logo,
  r.brandColors === null ? null : JSON.stringify(r.brandColors),
  r.features.whatsapp,
  r.features.homeVisit,
  r.features.analytics,
  r.features.customTemplates,
  r.features.multiStaff,
  r.subscription.plan,
  r.subscription.status,
  r.subscription.expiresAt,
  r.profileComplete,
  r.sourceFormat,
  r.sourceId,
  key,
  r.sourceHash,
];

/**
 * The columns a legacy record carries (`{emoji, createdAt}`) and those that say where the row
 * came from. A legacy record updates only these: the profile PostgreSQL holds beyond them
 * (added by the platform, or by an enhanced record earlier) has no place in a legacy value, so
 * a legacy value never clears it.
 */
const LEGACY_AND_PROVENANCE_COLUMNS: ReadonlySet<string> = new Set([
  'emoji',
  'created_at',
  'source_format',
  'source_id',
  'source_key',
  'source_hash',
]);

/**
 * SQL true when the write of `column` (an xid8: the transaction that wrote the row or the
 * tombstone) is visible in the write fence `$fence` (a pg_snapshot taken before the writer
 * read Redis): it committed before the read. No transaction recorded (rows older than the
 * column) counts as visible.
 */
export const writtenBeforeFence = (column: string, fence: string): string =>
  `(${column} IS NULL OR pg_visible_in_snapshot(${column}, ${fence}::pg_snapshot))`;

/** How much of a quarantined value is kept in the table; the sha256 and size cover the rest. */
export const EXCEPTION_VALUE_PREFIX_BYTES = 1024;

/**
 * Creates the staging table `stage` on the session, shaped like `tenants` (the configured
 * name), with its timestamps as epoch milliseconds.
 */
export const stagingTableSql = (
  tenants: string,
  stage: string,
  onCommit: 'DELETE ROWS' | 'DROP',
): string => `
      DROP TABLE IF EXISTS pg_temp.${stage};
      CREATE TEMP TABLE ${stage} (LIKE ${tenants} INCLUDING DEFAULTS) ON COMMIT ${onCommit};
      ALTER TABLE ${stage}
        ALTER COLUMN created_at TYPE bigint USING NULL,
        ALTER COLUMN subscription_expires_at TYPE bigint USING NULL`;

/**
 * The merge of the staging table `stage` into `tenants` (the configured name): one INSERT ..
 * ON CONFLICT .. DO UPDATE .. WHERE `policy`'s predicate, answering one row.
 *
 * `$1` is the write fence the writer took before it read Redis. A row written, or a tenant
 * deleted (its tombstone), by a transaction the fence does not see committed after the read:
 * the read is older than that write, so the merge neither overwrites the row nor brings the
 * tenant back; the caller re-decides (it is reported as a concurrent change).
 *
 * The conflict target is the primary key. The id is derived from the subdomain, so a conflict
 * on either unique index is a conflict on both; naming the primary key (the index PostgreSQL
 * checks first) makes a row another session inserts concurrently (the resolver's on-the-fly
 * migration) a handled conflict rather than a unique violation of a non-arbiter index.
 */
export const mergeStagedSql = (
  tenants: string,
  tombstones: string,
  stage: string,
  policy: ConflictPolicy,
): string => {
  const staged = TENANT_COLUMNS.map(stagedValue).join(', ');
  const updates = TENANT_COLUMNS.filter((c) => c !== 'id' && c !== 'subdomain')
    .map((c) =>
      LEGACY_AND_PROVENANCE_COLUMNS.has(c)
        ? `${c} = EXCLUDED.${c}`
        : `${c} = CASE WHEN EXCLUDED.source_format = 'legacy' THEN ${tenants}.${c} ELSE EXCLUDED.${c} END`,
    )
    .join(', ');
  return `WITH written AS (
         INSERT INTO ${tenants} (${COLUMN_LIST}, migrated_at, updated_at)
         SELECT ${staged}, now(), now() FROM ${stage} s
          WHERE NOT EXISTS (SELECT 1 FROM ${tombstones} d WHERE d.subdomain = s.subdomain AND NOT ${writtenBeforeFence('d.deleted_xact', '$1')})
         ON CONFLICT (id) DO UPDATE SET ${updates}, migrated_at = now(), updated_at = now()
         WHERE ${updatePredicateSql(policy, tenants)} AND ${writtenBeforeFence(`${tenants}.written_xact`, '$1')}
         RETURNING subdomain, (xmax = 0) AS inserted)
       SELECT (SELECT coalesce(array_agg(subdomain), '{}') FROM written WHERE NOT inserted) AS updated,
              (SELECT coalesce(array_agg(s.subdomain), '{}') FROM ${stage} s
                WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.subdomain = s.subdomain)) AS unwritten`;
};

/** The SQL of the repository's fixed statements, for the configured table names. */
interface MergeStatements {
  findExisting: string;
  insertIfAbsent: string;
  insertExceptions: string;
  fence: string;
}

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
    const { tenants, migrationExceptions, tenantTombstones } = options.tables;
    this.tenants = tenants;
    this.tombstones = tenantTombstones;
    const values = TENANT_COLUMNS.map((c, i) => typedParam(c, i + 1));
    this.sql = {
      findExisting: `SELECT subdomain, source_hash, source_key, migrated_at, updated_at
         FROM ${tenants} WHERE subdomain = ANY($1::text[])`,
      insertIfAbsent: `INSERT INTO ${tenants} (${COLUMN_LIST}, migrated_at, updated_at)
       SELECT ${values.join(', ')}, now(), now()
        WHERE NOT EXISTS (SELECT 1 FROM ${tenantTombstones} d WHERE d.subdomain = $2::text AND NOT ${writtenBeforeFence('d.deleted_xact', `$${values.length + 1}`)})
       ON CONFLICT DO NOTHING`,
      fence: 'SELECT pg_current_snapshot()::text AS fence',
      insertExceptions: `INSERT INTO ${migrationExceptions} (run_id, key, bucket, reasons, value_prefix, value_sha256, value_size)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::bytea[], $6::text[], $7::int[])`,
    };
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
