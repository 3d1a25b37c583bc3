import { Column, type ColumnOptions, Entity, Index, PrimaryColumn } from 'typeorm';
import type {
  BrandColors,
  BusinessCategory,
  SourceFormat,
  SubscriptionPlan,
  SubscriptionStatus,
} from './tenant.types.js';
import { TENANT_COLUMN_TABLE } from './tenant-columns.js';
import type { TenantColumn } from './tenant-column.js';

/**
 * The PostgreSQL tenant. Its columns (names, types, nullability, defaults, the unique
 * subdomain index) come from `TENANT_COLUMN_TABLE`, applied below, so the entity, the COPY
 * column list and the schema migration agree without reflection.
 */
@Entity({ name: 'tenants' })
export class TenantEntity {
  id!: string;
  subdomain!: string;
  emoji!: string;
  createdAt!: Date;
  businessName!: string | null;
  businessCategory!: BusinessCategory;
  businessDescription!: string | null;
  ownerName!: string | null;
  email!: string | null;
  phone!: string | null;
  address!: string | null;
  logo!: string | null;
  brandColors!: BrandColors | null;
  featureWhatsapp!: boolean;
  featureHomeVisit!: boolean;
  featureAnalytics!: boolean;
  featureCustomTemplates!: boolean;
  featureMultiStaff!: boolean;
  subscriptionPlan!: SubscriptionPlan;
  subscriptionStatus!: SubscriptionStatus;
  subscriptionExpiresAt!: Date | null;
  profileComplete!: boolean;
  /** 'legacy' | 'enhanced' for migrated rows, 'app' for rows created in PostgreSQL. */
  sourceFormat!: SourceFormat | 'app';
  sourceId!: string | null;
  /** The Redis key this row was migrated from; another key may never overwrite it. */
  sourceKey!: string | null;
  /** sha256 of the Redis value this row was last migrated from. */
  sourceHash!: string | null;
  /** When the migration last wrote this row; a trigger moves updated_at on any other write. */
  migratedAt!: Date | null;
  updatedAt!: Date;
}

/** A column's TypeORM options, with only the keys the table sets (as a hand-written decorator would). */
const columnOptions = (column: TenantColumn): ColumnOptions => ({
  ...(column.name !== column.property && { name: column.name }),
  type: column.type,
  ...(column.nullable && { nullable: true }),
  ...(column.default !== undefined && { default: column.default }),
});

/** The column decorator the table gives a property: a primary key's or a column's. */
const columnDecorator = (column: TenantColumn): PropertyDecorator => {
  const options = columnOptions(column);
  if (!column.primary) return Column(options);
  const { nullable: _nullable, ...primary } = options; // a primary key is never nullable
  return PrimaryColumn(primary);
};

// The decorators a property declaration would carry, applied in the same order TypeScript
// applies them (declaration order; on one property the column before its index).
for (const entry of TENANT_COLUMN_TABLE) {
  // Typed as a property of the entity: a column the entity does not declare fails to compile.
  const property: keyof TenantEntity = entry.property;
  const column: TenantColumn = entry;
  columnDecorator(column)(TenantEntity.prototype, property);
  if (column.unique !== undefined)
    Index(column.unique, { unique: true })(TenantEntity.prototype, property);
}
