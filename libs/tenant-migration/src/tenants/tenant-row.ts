/**
 * The tenants row as the read paths select it (timestamps as epoch-ms text, exact), and its
 * mapping to the enhanced tenant the platform reads. One query shape, one mapping, shared by
 * the resolver and the write-back of sync.
 */
import type { EnhancedTenant } from './tenant.types.js';
import { toEnhancedValue, toLegacyValue } from './tenant-mapper.js';
import { TENANT_COLUMN_TABLE, type TableColumn } from './tenant-columns.js';

/** A tenants row as the read paths select it (`TENANT_ROW_SELECT`; a spec holds the two to the same names). */
export interface TenantRow {
  id: string;
  subdomain: string;
  emoji: string;
  created_ms: string;
  business_name: string | null;
  business_category: EnhancedTenant['businessCategory'];
  business_description: string | null;
  owner_name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  logo: string | null;
  brand_colors: EnhancedTenant['brandColors'];
  feature_whatsapp: boolean;
  feature_home_visit: boolean;
  feature_analytics: boolean;
  feature_custom_templates: boolean;
  feature_multi_staff: boolean;
  subscription_plan: EnhancedTenant['subscription']['plan'];
  subscription_status: EnhancedTenant['subscription']['status'];
  expires_ms: string | null;
  profile_complete: boolean;
  source_format: 'legacy' | 'enhanced' | 'app';
  source_key: string | null;
  source_hash: string | null;
  changed_in_postgres: boolean;
}

/** A column's name in a `TenantRow`: its alias, its own name, or none (not read). */
type RowNameOf<C> = C extends { row: false }
  ? never
  : C extends { row: infer A extends string }
    ? A
    : C extends { name: infer N extends string }
      ? N
      : never;
/** The names the row select gives the columns it reads (`row` in the column table). */
export type TenantRowColumnName = RowNameOf<TableColumn>;

/**
 * The items of the row select, in table order: a timestamp as exact epoch-milliseconds text
 * under its row alias, any other column as it is.
 */
export const TENANT_ROW_COLUMNS: readonly string[] = TENANT_COLUMN_TABLE.flatMap((c) => {
  if (!('row' in c)) return [c.name];
  if (c.row === false) return [];
  return [`(extract(epoch FROM ${c.name}) * 1000)::bigint::text AS ${c.row}`];
});

/**
 * The select list that yields a `TenantRow` from the tenants table (`tables.tenants`): the
 * columns the column table reads, and whether the tenant changed in PostgreSQL since its last
 * migration.
 */
export const TENANT_ROW_SELECT = `${TENANT_ROW_COLUMNS.join(', ')},
  (migrated_at IS NULL OR updated_at > migrated_at) AS changed_in_postgres`;

/**
 * A tenant's Redis key: the one its row was migrated from, when that is under the prefix (its
 * name need not be prefix + subdomain: `MyShop` migrates as `myshop`); else prefix + subdomain.
 */
export const redisKeyOf = (
  prefix: string,
  subdomain: string,
  sourceKey: string | null | undefined,
): string => (sourceKey?.startsWith(prefix) ? sourceKey : prefix + subdomain);

/** The statement that reads one tenant row by its subdomain (`$1`) from the given tenants table. */
export const selectTenantRowSql = (tenantsTable: string): string =>
  `SELECT ${TENANT_ROW_SELECT} FROM ${tenantsTable} WHERE subdomain = $1`;

export const tenantFromRow = (row: TenantRow): EnhancedTenant => ({
  id: row.id,
  subdomain: row.subdomain,
  emoji: row.emoji,
  createdAt: Number(row.created_ms),
  businessName: row.business_name,
  businessCategory: row.business_category,
  businessDescription: row.business_description,
  ownerName: row.owner_name,
  email: row.email,
  phone: row.phone,
  address: row.address,
  logo: row.logo,
  brandColors: row.brand_colors,
  features: {
    whatsapp: row.feature_whatsapp,
    homeVisit: row.feature_home_visit,
    analytics: row.feature_analytics,
    customTemplates: row.feature_custom_templates,
    multiStaff: row.feature_multi_staff,
  },
  subscription: {
    plan: row.subscription_plan,
    status: row.subscription_status,
    expiresAt: row.expires_ms === null ? null : Number(row.expires_ms),
  },
  profileComplete: row.profile_complete,
  sourceFormat: row.source_format === 'enhanced' ? 'enhanced' : 'legacy',
});

/**
 * The Redis value a tenant row is written back as, in the format the legacy readers of its key
 * already understand: legacy `{emoji, createdAt}` for migrated legacy records and for tenants
 * created in PostgreSQL, the enhanced record (a superset) for migrated enhanced ones.
 */
export const redisValueOf = (row: TenantRow): string => {
  const tenant = tenantFromRow(row);
  return row.source_format === 'enhanced' ? toEnhancedValue(tenant) : toLegacyValue(tenant);
};
