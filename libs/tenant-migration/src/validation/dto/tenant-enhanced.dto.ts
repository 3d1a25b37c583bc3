import type { FeatureFlag } from '../../tenants/tenant.types.js';
import { TenantField } from './tenant-field.decorator.js';
import { TenantLegacyDto } from './tenant-legacy.dto.js';

export interface BrandColorsSource {
  primary?: string | null;
  secondary?: string | null;
  accent?: string | null;
}

export type FeaturesSource = Partial<Record<FeatureFlag, boolean | null>>;

export interface SubscriptionSourceValue {
  plan?: string | null;
  status?: string | null;
  expiresAt?: number | string | null;
}

/**
 * The enhanced Redis value: the legacy fields plus the business profile. Every field beyond
 * emoji/createdAt is optional (real records lack some: no description, partial features);
 * null and, for text, an empty string mean absent. Keys not declared here are rejected
 * (`unknown-field`): the value would otherwise be dropped without anyone noticing.
 * The tenant's profile is complete when businessName, ownerName, email and phone are all present.
 */
export class TenantEnhancedDto extends TenantLegacyDto {
  /** The source system's id (kept as `sourceId`). */
  @TenantField()
  id?: string | number | null;

  /** Single line, sanitized, at most 120 characters. */
  @TenantField()
  businessName?: string | null;

  /** One of BUSINESS_CATEGORIES (any case), or an alias such as `restaurant`. */
  @TenantField()
  businessCategory?: string | null;

  /** Multi-line, sanitized, at most 2000 characters. */
  @TenantField()
  businessDescription?: string | null;

  /** Single line, sanitized, at most 120 characters. */
  @TenantField()
  ownerName?: string | null;

  /** class-validator `isEmail`, at most 254 characters; the domain is lower-cased. */
  @TenantField()
  email?: string | null;

  /** E.164, or a national number with the configured default region; stored as E.164. */
  @TenantField()
  phone?: string | null;

  /** Multi-line, sanitized, at most 300 characters. */
  @TenantField()
  address?: string | null;

  /** Absolute http(s) URL, at most 2048 characters. */
  @TenantField()
  logo?: string | null;

  /** `#RGB` / `#RRGGBB` colours; no other keys. */
  @TenantField()
  brandColors?: BrandColorsSource | null;

  /** The five feature flags, booleans; no other keys; missing flags take the defaults. */
  @TenantField()
  features?: FeaturesSource | null;

  /** plan, status, expiresAt (after createdAt); no other keys. */
  @TenantField()
  subscription?: SubscriptionSourceValue | null;
}
