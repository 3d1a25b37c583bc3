/**
 * The SQL of the migration's set-based write path, and the text it sends: the staging table,
 * the merge, the statements the repository runs, the COPY line of a record and the name the
 * quarantine keeps a key under. Columns come from the column table (`tenants/tenant-columns`).
 */
import { copyValue } from '../common/copy-text.js';
import { storableText } from '../common/storable-text.js';
import type { TableNames } from '../database/table-names.js';
import {
  EPOCH_MS_COLUMNS,
  IDENTITY_COLUMNS,
  LEGACY_AND_PROVENANCE_COLUMNS,
  PARAM_TYPES,
  TENANT_COLUMNS,
} from '../tenants/tenant-columns.js';
import { updatePredicateSql } from './outcome.js';
import type { ConflictPolicy } from './migration.types.js';
import type { ExceptionRow, StagedTenant } from './tenant-merge.types.js';

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

/** The COPY and INSERT column list, in TENANT_COLUMNS order. */
export const COLUMN_LIST = TENANT_COLUMNS.join(', ');

/** SQL turning a staged epoch-milliseconds column into timestamptz without floating point. */
export const fromEpochMs = (column: string): string =>
  `to_timestamp(${column} / 1000) + (${column} % 1000) * interval '1 millisecond'`;
/** A staged column as the value of its tenants column (epoch milliseconds become timestamps). */
const stagedValue = (column: string): string =>
  EPOCH_MS_COLUMNS.has(column) ? fromEpochMs(column) : column;
/** Parameter `$n` as the value of a tenants column (epoch milliseconds become timestamps). */
export const tenantParam = (column: string, n: number): string =>
  EPOCH_MS_COLUMNS.has(column) ? fromEpochMs(`$${n}::bigint`) : `$${n}`;
/** Parameter `$n` as a typed value of a tenants column, for INSERT .. SELECT. */
const typedParam = (column: string, n: number): string =>
  EPOCH_MS_COLUMNS.has(column) ? tenantParam(column, n) : `$${n}::${PARAM_TYPES[column] ?? 'text'}`;

const ms = (value: number | null): string => (value === null ? '\\N' : String(value));
const bool = (value: boolean): string => (value ? 't' : 'f');

/** Epoch milliseconds of 0001-01-01T00:00:00.000Z and of 9999-12-31T23:59:59.999Z. */
const ISO_MIN_MS = -62135596800000;
const ISO_MAX_MS = 253402300799999;
/**
 * A timestamp as PostgreSQL reads it back exactly: ISO 8601 in UTC, to the millisecond. Only
 * years 1 to 9999 are written the way PostgreSQL parses them (see `directCopyable`).
 */
const iso = (value: number | null): string =>
  value === null ? '\\N' : new Date(value).toISOString();

/**
 * One COPY line, in TENANT_COLUMNS order, its timestamps written by `ts`, ended by `tail`. This
 * runs once per migrated key, so it is written out by hand: only free-text values can hold
 * characters COPY must escape; ids, enums, booleans and timestamps never do. A spec holds it
 * to the line the column table gives.
 */
const copyLine = (
  { key, record: r }: StagedTenant,
  ts: (value: number | null) => string,
  tail: string,
): string =>
  `${r.id}\t${copyValue(r.subdomain)}\t${copyValue(r.emoji)}\t${ts(r.createdAt)}\t${copyValue(r.businessName)}\t` +
  `${copyValue(r.businessCategory)}\t${copyValue(r.businessDescription)}\t${copyValue(r.ownerName)}\t` +
  `${copyValue(r.email)}\t${copyValue(r.phone)}\t${copyValue(r.address)}\t${copyValue(r.logo)}\t` +
  `${r.brandColors === null ? '\\N' : copyValue(JSON.stringify(r.brandColors))}\t${bool(r.features.whatsapp)}\t` +
  `${bool(r.features.homeVisit)}\t${bool(r.features.analytics)}\t${bool(r.features.customTemplates)}\t` +
  `${bool(r.features.multiStaff)}\t${r.subscription.plan}\t${r.subscription.status}\t${ts(r.subscription.expiresAt)}\t` +
  `${bool(r.profileComplete)}\t${r.sourceFormat}\t${copyValue(r.sourceId)}\t${copyValue(key)}\t${r.sourceHash}${tail}`;

/** One COPY line of the staging table: timestamps as epoch milliseconds, which the merge converts. */
export const tenantCopyRow = (staged: StagedTenant): string => copyLine(staged, ms, '\n');

/**
 * One COPY line straight into `tenants` (DIRECT_COPY_COLUMNS): timestamps as ISO 8601 text, then
 * `migrated_at` as the text of the transaction's `now()`, which is what the merge writes there
 * (`updated_at` and `written_xact` take their defaults, as in the merge's insert). Only for
 * records `directCopyable` accepts.
 */
export const tenantDirectRow = (staged: StagedTenant, migratedAt: string): string =>
  copyLine(staged, iso, `\t${copyValue(migratedAt)}\n`);

const inIsoRange = (value: number | null): boolean =>
  value === null || (value >= ISO_MIN_MS && value <= ISO_MAX_MS);

/**
 * Whether a record's line straight into `tenants` stores exactly what the merge would: its
 * timestamps lie in years 1 to 9999, which ISO 8601 text carries to the millisecond.
 */
export const directCopyable = ({ record }: StagedTenant): boolean =>
  inIsoRange(record.createdAt) && inIsoRange(record.subscription.expiresAt);

/** The columns of a COPY straight into `tenants`: the record's, then `migrated_at`. */
export const DIRECT_COPY_COLUMNS = `${COLUMN_LIST}, migrated_at`;

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
        ${[...EPOCH_MS_COLUMNS].map((c) => `ALTER COLUMN ${c} TYPE bigint USING NULL`).join(',\n        ')}`;

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
  const updates = TENANT_COLUMNS.filter((c) => !IDENTITY_COLUMNS.has(c))
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

/** The SQL of the merge repository's fixed statements, for the configured table names. */
export interface MergeStatements {
  findExisting: string;
  insertIfAbsent: string;
  insertExceptions: string;
  fence: string;
  transactionNow: string;
  tombstonedAfterFence: string;
}

/** The merge repository's fixed statements, built once for the configured table names. */
export const mergeStatements = ({
  tenants,
  migrationExceptions,
  tenantTombstones,
}: Pick<TableNames, 'tenants' | 'migrationExceptions' | 'tenantTombstones'>): MergeStatements => {
  const values = TENANT_COLUMNS.map((c, i) => typedParam(c, i + 1));
  return {
    findExisting: `SELECT subdomain, source_hash, source_key, migrated_at, updated_at
         FROM ${tenants} WHERE subdomain = ANY($1::text[])`,
    insertIfAbsent: `INSERT INTO ${tenants} (${COLUMN_LIST}, migrated_at, updated_at)
       SELECT ${values.join(', ')}, now(), now()
        WHERE NOT EXISTS (SELECT 1 FROM ${tenantTombstones} d WHERE d.subdomain = $2::text AND NOT ${writtenBeforeFence('d.deleted_xact', `$${values.length + 1}`)})
       ON CONFLICT DO NOTHING`,
    fence: 'SELECT pg_current_snapshot()::text AS fence',
    transactionNow: 'SELECT now()::text AS now',
    tombstonedAfterFence: `SELECT 1 FROM ${tenantTombstones} d
        WHERE d.subdomain = ANY($1::text[]) AND NOT ${writtenBeforeFence('d.deleted_xact', '$2')} LIMIT 1`,
    insertExceptions: `INSERT INTO ${migrationExceptions} (run_id, key, bucket, reasons, value_prefix, value_sha256, value_size)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::bytea[], $6::text[], $7::int[])`,
  };
};
