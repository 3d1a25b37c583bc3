import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type {
  BrandColors,
  BusinessCategory,
  SourceFormat,
  SubscriptionPlan,
  SubscriptionStatus,
} from './tenant.types.js';

/**
 * The PostgreSQL tenant. Columns are declared with explicit types so that the schema
 * migration, the COPY column list and this entity agree without reflection.
 */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('tenants_subdomain_key', { unique: true })
  @Column({ type: 'text' })
  subdomain!: string;

  @Column({ type: 'text' })
  emoji!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'business_name', type: 'text', nullable: true })
  businessName!: string | null;

  @Column({ name: 'business_category', type: 'text' })
  businessCategory!: BusinessCategory;

  @Column({ name: 'business_description', type: 'text', nullable: true })
  businessDescription!: string | null;

  @Column({ name: 'owner_name', type: 'text', nullable: true })
  ownerName!: string | null;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  @Column({ type: 'text', nullable: true })
  address!: string | null;

  @Column({ type: 'text', nullable: true })
  logo!: string | null;

  @Column({ name: 'brand_colors', type: 'jsonb', nullable: true })
  brandColors!: BrandColors | null;

  @Column({ name: 'feature_whatsapp', type: 'boolean', default: false })
  featureWhatsapp!: boolean;

  @Column({ name: 'feature_home_visit', type: 'boolean', default: false })
  featureHomeVisit!: boolean;

  @Column({ name: 'feature_analytics', type: 'boolean', default: false })
  featureAnalytics!: boolean;

  @Column({ name: 'feature_custom_templates', type: 'boolean', default: false })
  featureCustomTemplates!: boolean;

  @Column({ name: 'feature_multi_staff', type: 'boolean', default: false })
  featureMultiStaff!: boolean;

  @Column({ name: 'subscription_plan', type: 'text' })
  subscriptionPlan!: SubscriptionPlan;

  @Column({ name: 'subscription_status', type: 'text' })
  subscriptionStatus!: SubscriptionStatus;

  @Column({ name: 'subscription_expires_at', type: 'timestamptz', nullable: true })
  subscriptionExpiresAt!: Date | null;

  @Column({ name: 'profile_complete', type: 'boolean', default: false })
  profileComplete!: boolean;

  /** 'legacy' | 'enhanced' for migrated rows, 'app' for rows created in PostgreSQL. */
  @Column({ name: 'source_format', type: 'text' })
  sourceFormat!: SourceFormat | 'app';

  @Column({ name: 'source_id', type: 'text', nullable: true })
  sourceId!: string | null;

  /** The Redis key this row was migrated from; another key may never overwrite it. */
  @Column({ name: 'source_key', type: 'text', nullable: true })
  sourceKey!: string | null;

  /** sha256 of the Redis value this row was last migrated from. */
  @Column({ name: 'source_hash', type: 'text', nullable: true })
  sourceHash!: string | null;

  /** When the migration last wrote this row; a trigger moves updated_at on any other write. */
  @Column({ name: 'migrated_at', type: 'timestamptz', nullable: true })
  migratedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
