/** What the column table (`tenant-columns.ts`) declares of one column of the tenants table. */
import type { TenantRecord } from './tenant.types.js';

/** A column's value as a query parameter: timestamps in epoch milliseconds, jsonb as JSON text. */
export type TenantColumnValue = string | number | boolean | null;

/** The SQL types the tenants table uses. */
export type TenantColumnType = 'uuid' | 'text' | 'timestamptz' | 'jsonb' | 'boolean';

/** How the integrity check compares a column: as it is, or as epoch milliseconds. */
export type ComparedKind = 'value' | 'epoch-ms';

/** One column of the tenants table. */
export interface TenantColumn {
  /** The SQL name. */
  readonly name: string;
  /** The `TenantEntity` property that maps it. */
  readonly property: string;
  readonly type: TenantColumnType;
  /** The primary key. */
  readonly primary?: true;
  /** The name of the unique index on this column alone. */
  readonly unique?: string;
  /** Nullable (NOT NULL otherwise). */
  readonly nullable?: true;
  /** The column default, as the entity declares it (a function: raw SQL). */
  readonly default?: boolean | (() => string);
  /**
   * The value a migrated record (and the Redis key it came from) gives the column. Absent for
   * the columns only the database writes (`migrated_at`, `updated_at`); the columns with one
   * are the COPY, staging and parameter columns, in this order.
   */
  readonly value?: (record: TenantRecord, key: string) => TenantColumnValue;
  /** The field of the enhanced format the integrity check compares the column as. */
  readonly compared?: string;
  /** A legacy record (`{emoji, createdAt}`) carries it. */
  readonly legacy?: true;
  /** It says where the row came from (`source_*`): an update of the tenant keeps it. */
  readonly provenance?: true;
  /**
   * Its name in a `TenantRow` (the read paths' select): a timestamp is read as epoch
   * milliseconds text under this alias; `false`: not read. Default: read under its own name.
   */
  readonly row?: string | false;
}
