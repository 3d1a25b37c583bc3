/**
 * The two shapes a tenant takes: the legacy/enhanced JSON found in Redis, and the enhanced
 * tenant the platform reads from PostgreSQL (the spec's `EnhancedTenant`).
 */

export const BUSINESS_CATEGORIES = [
  'Beauty & Wellness',
  'Healthcare',
  'Fitness & Sports',
  'Education & Training',
  'Professional Services',
  'Home Services',
  'Automotive',
  'Food & Beverage',
  'Entertainment',
  'Other',
] as const;
export type BusinessCategory = (typeof BUSINESS_CATEGORIES)[number];

export const SUBSCRIPTION_PLANS = ['basic', 'premium', 'enterprise'] as const;
export type SubscriptionPlan = (typeof SUBSCRIPTION_PLANS)[number];

export const SUBSCRIPTION_STATUSES = ['active', 'suspended', 'cancelled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const FEATURE_FLAGS = [
  'whatsapp',
  'homeVisit',
  'analytics',
  'customTemplates',
  'multiStaff',
] as const;
export type FeatureFlag = (typeof FEATURE_FLAGS)[number];
export type TenantFeatures = Record<FeatureFlag, boolean>;

export type SourceFormat = 'legacy' | 'enhanced';

export interface BrandColors {
  primary?: string;
  secondary?: string;
  accent?: string;
}

/** The legacy value stored under `subdomain:<name>`. */
export interface LegacySubdomainData {
  emoji: string;
  createdAt: number;
}

/**
 * A tenant as it is stored and returned: the spec's enhanced format. Timestamps are epoch
 * milliseconds. Profile fields are null where the source never had them (legacy tenants):
 * nothing is invented.
 */
export interface EnhancedTenant {
  id: string;
  subdomain: string;
  emoji: string;
  createdAt: number;
  businessName: string | null;
  businessCategory: BusinessCategory;
  businessDescription: string | null;
  ownerName: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  logo: string | null;
  brandColors: BrandColors | null;
  features: TenantFeatures;
  subscription: {
    plan: SubscriptionPlan;
    status: SubscriptionStatus;
    expiresAt: number | null;
  };
  /** False when the source lacked the business profile (legacy records). */
  profileComplete: boolean;
  sourceFormat: SourceFormat;
}

/**
 * What the migration writes for one Redis key: the enhanced tenant plus the provenance the
 * engine needs to be idempotent (the source value's hash and the source record's own id).
 */
export interface TenantRecord extends EnhancedTenant {
  /** The `id` the enhanced source record carried, if any; the row id itself is derived. */
  sourceId: string | null;
  /** sha256 (hex) of the raw Redis value. */
  sourceHash: string;
}

/** What a tenant gets for every field its source did not carry (all legacy tenants). */
export interface TenantDefaults {
  businessCategory: BusinessCategory;
  subscriptionPlan: SubscriptionPlan;
  subscriptionStatus: SubscriptionStatus;
  features: TenantFeatures;
}
