/**
 * The tenants table, column by column, written once: its SQL shape (as the entity maps it and
 * the schema migration creates it), the value a migrated record gives each column, and what
 * each column means to the merge, the integrity check and the read paths. The entity, the COPY
 * and parameter lists, the staged epoch-milliseconds columns, the merge's update rules, the
 * integrity check's compared fields and the row select are all derived from this table.
 */
import type { TenantRecord } from './tenant.types.js';
import type {
  ComparedKind,
  TenantColumn,
  TenantColumnType,
  TenantColumnValue,
} from './tenant-column.js';

/** Every column of the tenants table, in table (and COPY) order. */
export const TENANT_COLUMN_TABLE = [
  { name: 'id', property: 'id', type: 'uuid', primary: true, value: (r) => r.id },
  {
    name: 'subdomain',
    property: 'subdomain',
    type: 'text',
    unique: 'tenants_subdomain_key',
    value: (r) => r.subdomain,
  },
  {
    name: 'emoji',
    property: 'emoji',
    type: 'text',
    value: (r) => r.emoji,
    compared: 'emoji',
    legacy: true,
  },
  {
    name: 'created_at',
    property: 'createdAt',
    type: 'timestamptz',
    value: (r) => r.createdAt,
    compared: 'createdAt',
    legacy: true,
    row: 'created_ms',
  },
  {
    name: 'business_name',
    property: 'businessName',
    type: 'text',
    nullable: true,
    value: (r) => r.businessName,
    compared: 'businessName',
  },
  {
    name: 'business_category',
    property: 'businessCategory',
    type: 'text',
    value: (r) => r.businessCategory,
    compared: 'businessCategory',
  },
  {
    name: 'business_description',
    property: 'businessDescription',
    type: 'text',
    nullable: true,
    value: (r) => r.businessDescription,
    compared: 'businessDescription',
  },
  {
    name: 'owner_name',
    property: 'ownerName',
    type: 'text',
    nullable: true,
    value: (r) => r.ownerName,
    compared: 'ownerName',
  },
  {
    name: 'email',
    property: 'email',
    type: 'text',
    nullable: true,
    value: (r) => r.email,
    compared: 'email',
  },
  {
    name: 'phone',
    property: 'phone',
    type: 'text',
    nullable: true,
    value: (r) => r.phone,
    compared: 'phone',
  },
  {
    name: 'address',
    property: 'address',
    type: 'text',
    nullable: true,
    value: (r) => r.address,
    compared: 'address',
  },
  {
    name: 'logo',
    property: 'logo',
    type: 'text',
    nullable: true,
    value: (r) => r.logo,
    compared: 'logo',
  },
  {
    name: 'brand_colors',
    property: 'brandColors',
    type: 'jsonb',
    nullable: true,
    value: (r) => (r.brandColors === null ? null : JSON.stringify(r.brandColors)),
    compared: 'brandColors',
  },
  {
    name: 'feature_whatsapp',
    property: 'featureWhatsapp',
    type: 'boolean',
    default: false,
    value: (r) => r.features.whatsapp,
    compared: 'features.whatsapp',
  },
  {
    name: 'feature_home_visit',
    property: 'featureHomeVisit',
    type: 'boolean',
    default: false,
    value: (r) => r.features.homeVisit,
    compared: 'features.homeVisit',
  },
  {
    name: 'feature_analytics',
    property: 'featureAnalytics',
    type: 'boolean',
    default: false,
    value: (r) => r.features.analytics,
    compared: 'features.analytics',
  },
  {
    name: 'feature_custom_templates',
    property: 'featureCustomTemplates',
    type: 'boolean',
    default: false,
    value: (r) => r.features.customTemplates,
    compared: 'features.customTemplates',
  },
  {
    name: 'feature_multi_staff',
    property: 'featureMultiStaff',
    type: 'boolean',
    default: false,
    value: (r) => r.features.multiStaff,
    compared: 'features.multiStaff',
  },
  {
    name: 'subscription_plan',
    property: 'subscriptionPlan',
    type: 'text',
    value: (r) => r.subscription.plan,
    compared: 'subscription.plan',
  },
  {
    name: 'subscription_status',
    property: 'subscriptionStatus',
    type: 'text',
    value: (r) => r.subscription.status,
    compared: 'subscription.status',
  },
  {
    name: 'subscription_expires_at',
    property: 'subscriptionExpiresAt',
    type: 'timestamptz',
    nullable: true,
    value: (r) => r.subscription.expiresAt,
    compared: 'subscription.expiresAt',
    row: 'expires_ms',
  },
  {
    name: 'profile_complete',
    property: 'profileComplete',
    type: 'boolean',
    default: false,
    value: (r) => r.profileComplete,
    compared: 'profileComplete',
  },
  {
    name: 'source_format',
    property: 'sourceFormat',
    type: 'text',
    value: (r) => r.sourceFormat,
    provenance: true,
  },
  {
    name: 'source_id',
    property: 'sourceId',
    type: 'text',
    nullable: true,
    value: (r) => r.sourceId,
    provenance: true,
    row: false,
  },
  {
    name: 'source_key',
    property: 'sourceKey',
    type: 'text',
    nullable: true,
    value: (_r, key) => key,
    provenance: true,
  },
  {
    name: 'source_hash',
    property: 'sourceHash',
    type: 'text',
    nullable: true,
    value: (r) => r.sourceHash,
    provenance: true,
  },
  {
    name: 'migrated_at',
    property: 'migratedAt',
    type: 'timestamptz',
    nullable: true,
    row: false,
  },
  {
    name: 'updated_at',
    property: 'updatedAt',
    type: 'timestamptz',
    default: () => 'now()',
    row: false,
  },
] as const satisfies readonly TenantColumn[];

/** One entry of the table, with its literal types. */
export type TableColumn = (typeof TENANT_COLUMN_TABLE)[number];
/** The name of a column of the tenants table. */
export type TenantColumnName = TableColumn['name'];
/** The `TenantEntity` property of a column. */
export type TenantColumnProperty = TableColumn['property'];
/** The column a migrated record gives a value (the COPY, staging and parameter columns). */
type RecordColumn = Extract<TableColumn, { value: unknown }>;
/** A column name of the COPY, staging and parameter lists. */
export type TenantRecordColumnName = RecordColumn['name'];
const isRecordColumn = (column: TableColumn): column is RecordColumn => 'value' in column;
const has = (column: TableColumn, flag: 'legacy' | 'provenance' | 'primary'): boolean =>
  flag in column;
const names = (columns: readonly TableColumn[]): ReadonlySet<string> =>
  new Set(columns.map((c) => c.name));

const RECORD_COLUMNS: readonly RecordColumn[] = TENANT_COLUMN_TABLE.filter(isRecordColumn);

/** Every column of the tenants table, in table order (a backup's columns). */
export const TENANT_TABLE_COLUMNS: readonly TenantColumnName[] = TENANT_COLUMN_TABLE.map(
  (c) => c.name,
);

/** The columns a migrated record fills: the COPY, staging table and parameter order. */
export const TENANT_COLUMNS: readonly TenantRecordColumnName[] = RECORD_COLUMNS.map((c) => c.name);

/** The parameters of one tenant in TENANT_COLUMNS order (the COPY line's values, unescaped). */
export const tenantColumnValues = ({
  key,
  record,
}: {
  key: string;
  record: TenantRecord;
}): TenantColumnValue[] => RECORD_COLUMNS.map((c) => c.value(record, key));

/** The columns the staging table and the parameters carry as epoch milliseconds. */
export const EPOCH_MS_COLUMNS: ReadonlySet<string> = names(
  RECORD_COLUMNS.filter((c) => c.type === 'timestamptz'),
);

/** The SQL type of each record column, for parameters PostgreSQL cannot type from a VALUES target. */
export const PARAM_TYPES: Readonly<Record<string, TenantColumnType>> = Object.fromEntries(
  RECORD_COLUMNS.map((c) => [c.name, c.type]),
);

/** The columns that name the tenant (the primary key and the unique subdomain): never updated. */
export const IDENTITY_COLUMNS: ReadonlySet<string> = names(
  TENANT_COLUMN_TABLE.filter((c) => has(c, 'primary') || 'unique' in c),
);

/**
 * The columns a legacy record carries (`{emoji, createdAt}`) and those that say where the row
 * came from. A legacy record updates only these: the profile PostgreSQL holds beyond them
 * (added by the platform, or by an enhanced record earlier) has no place in a legacy value, so
 * a legacy value never clears it.
 */
export const LEGACY_AND_PROVENANCE_COLUMNS: ReadonlySet<string> = names(
  TENANT_COLUMN_TABLE.filter((c) => has(c, 'legacy') || has(c, 'provenance')),
);

/** What an update of a tenant writes: every record column but the identity and the provenance. */
export const UPDATABLE_COLUMNS: readonly TenantRecordColumnName[] = RECORD_COLUMNS.filter(
  (c) => !IDENTITY_COLUMNS.has(c.name) && !has(c, 'provenance'),
).map((c) => c.name);

/** A field the integrity check compares: its name in the enhanced format, its column, its kind. */
export type ComparedColumn = readonly [field: string, column: string, kind: ComparedKind];

/** Every mapped field the integrity check compares, in table order. */
export const COMPARED_COLUMNS: readonly ComparedColumn[] = TENANT_COLUMN_TABLE.flatMap((c) =>
  'compared' in c
    ? [[c.compared, c.name, c.type === 'timestamptz' ? 'epoch-ms' : 'value'] as const]
    : [],
);

/** The compared fields a legacy record carries: of a legacy tenant, only these can drift. */
export const LEGACY_COMPARED_COLUMNS: readonly ComparedColumn[] = COMPARED_COLUMNS.filter(([, c]) =>
  TENANT_COLUMN_TABLE.some((t) => t.name === c && has(t, 'legacy')),
);
