import { hash } from 'node:crypto';
import { parse as parseUuid } from 'uuid';
import type {
  BrandColors,
  BusinessCategory,
  EnhancedTenant,
  LegacySubdomainData,
  SourceFormat,
  SubscriptionPlan,
  SubscriptionStatus,
  TenantDefaults,
  TenantFeatures,
  TenantRecord,
} from './tenant.types.js';

/**
 * The namespace of tenant ids: `id = uuidv5(subdomain, TENANT_ID_NAMESPACE)`. Fixed forever
 * (it is `uuidv5('urn:tenant-migrate:tenant-id', uuidv5.URL)`): changing it would change
 * every tenant's id. Every run, and every reader of an unmigrated tenant, derives the same id.
 */
export const TENANT_ID_NAMESPACE = '8483fddf-0bff-5271-8f60-456a6c654b8c';
const NAMESPACE_BYTES = Buffer.from(parseUuid(TENANT_ID_NAMESPACE));
/** namespace + name, reused: names up to 64 UTF-16 units (at most 192 UTF-8 bytes) fit. */
const ID_SCRATCH = Buffer.alloc(16 + 192);
NAMESPACE_BYTES.copy(ID_SCRATCH);

/** The validated fields of a Redis value, by their source names; null or missing = absent. */
export interface TenantBodyValues {
  emoji: string;
  createdAt: number;
  id?: string | null;
  subdomain?: string | null;
  businessName?: string | null;
  businessCategory?: BusinessCategory | null;
  businessDescription?: string | null;
  ownerName?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  logo?: string | null;
  brandColors?: BrandColors | null;
  features?: Partial<TenantFeatures> | null;
  subscription?: {
    plan: SubscriptionPlan | null;
    status: SubscriptionStatus | null;
    expiresAt: number | null;
  } | null;
}

export interface TenantRecordInput {
  /** The normalized subdomain (from the key). */
  subdomain: string;
  sourceFormat: SourceFormat;
  values: TenantBodyValues;
  /** The raw Redis value, hashed into `sourceHash`. */
  raw: Uint8Array | string;
}

/**
 * The stable tenant id of a normalized subdomain: the RFC 9562 version-5 UUID of the name in
 * `TENANT_ID_NAMESPACE`. Computed here rather than with `uuid`'s `v5` because this runs once
 * per migrated key and the one-shot hash over a reused buffer is ~2.5x faster; the spec
 * checks it against `uuid`'s `v5` on ASCII, Unicode and long names.
 */
export function tenantIdFor(subdomain: string): string {
  const digest =
    subdomain.length <= 64
      ? hash('sha1', ID_SCRATCH.subarray(0, 16 + ID_SCRATCH.write(subdomain, 16, 'utf8')), 'buffer')
      : hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(subdomain, 'utf8')]), 'buffer');
  digest[6] = (digest[6] & 0x0f) | 0x50; // version 5
  digest[8] = (digest[8] & 0x3f) | 0x80; // RFC 4122/9562 variant
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** sha256 (hex) of a raw Redis value; a string is hashed as its UTF-8 bytes. */
export function sourceHashOf(raw: Uint8Array | string): string {
  return hash('sha256', raw, 'hex');
}

/**
 * Builds the tenant row from validated data. Pure: the same input gives the same record,
 * whenever and wherever it runs (nothing reads the clock). Legacy records get null profile
 * fields, the configured defaults and `profileComplete: false`; nothing is invented (no empty
 * strings, no computed expiry). Fields an enhanced record lacks get the same treatment.
 */
export function toTenantRecord(input: TenantRecordInput, defaults: TenantDefaults): TenantRecord {
  const { subdomain, sourceFormat } = input;
  const enhanced = sourceFormat === 'enhanced';
  // a legacy value has no profile; reading only emoji/createdAt from it makes that explicit
  const v: TenantBodyValues = enhanced
    ? input.values
    : { emoji: input.values.emoji, createdAt: input.values.createdAt };
  const businessName = v.businessName ?? null;
  const ownerName = v.ownerName ?? null;
  const email = v.email ?? null;
  const phone = v.phone ?? null;
  const f = v.features ?? undefined;
  const df = defaults.features;
  const s = v.subscription ?? undefined;
  return {
    id: tenantIdFor(subdomain),
    subdomain,
    emoji: v.emoji,
    createdAt: v.createdAt,
    businessName,
    businessCategory: v.businessCategory ?? defaults.businessCategory,
    businessDescription: v.businessDescription ?? null,
    ownerName,
    email,
    phone,
    address: v.address ?? null,
    logo: v.logo ?? null,
    brandColors: v.brandColors ?? null,
    features: {
      whatsapp: f?.whatsapp ?? df.whatsapp,
      homeVisit: f?.homeVisit ?? df.homeVisit,
      analytics: f?.analytics ?? df.analytics,
      customTemplates: f?.customTemplates ?? df.customTemplates,
      multiStaff: f?.multiStaff ?? df.multiStaff,
    },
    subscription: {
      plan: s?.plan ?? defaults.subscriptionPlan,
      status: s?.status ?? defaults.subscriptionStatus,
      expiresAt: s?.expiresAt ?? null,
    },
    profileComplete:
      enhanced && businessName !== null && ownerName !== null && email !== null && phone !== null,
    sourceFormat,
    sourceId: v.id ?? null,
    sourceHash: sourceHashOf(input.raw),
  };
}

/**
 * The fields a legacy record carries. Of a tenant migrated from one, these are the fields Redis
 * and PostgreSQL can disagree on; the profile PostgreSQL adds is its own.
 */
export const LEGACY_FIELDS = [
  'emoji',
  'createdAt',
] as const satisfies readonly (keyof LegacySubdomainData)[];

/** The legacy Redis value of a tenant, `{"emoji":..,"createdAt":..}`, byte-identical to what the legacy app wrote. */
export function toLegacyValue(tenant: EnhancedTenant): string {
  return JSON.stringify({ emoji: tenant.emoji, createdAt: tenant.createdAt });
}

/**
 * The enhanced Redis value of a tenant, every field present (null where absent), in a fixed
 * order. It carries the tenant's own `id`, and validates back to an equal tenant.
 */
export function toEnhancedValue(tenant: EnhancedTenant): string {
  return JSON.stringify({
    id: tenant.id,
    subdomain: tenant.subdomain,
    emoji: tenant.emoji,
    createdAt: tenant.createdAt,
    businessName: tenant.businessName,
    businessCategory: tenant.businessCategory,
    businessDescription: tenant.businessDescription,
    ownerName: tenant.ownerName,
    email: tenant.email,
    phone: tenant.phone,
    address: tenant.address,
    logo: tenant.logo,
    brandColors: tenant.brandColors,
    features: {
      whatsapp: tenant.features.whatsapp,
      homeVisit: tenant.features.homeVisit,
      analytics: tenant.features.analytics,
      customTemplates: tenant.features.customTemplates,
      multiStaff: tenant.features.multiStaff,
    },
    subscription: {
      plan: tenant.subscription.plan,
      status: tenant.subscription.status,
      expiresAt: tenant.subscription.expiresAt,
    },
  });
}
