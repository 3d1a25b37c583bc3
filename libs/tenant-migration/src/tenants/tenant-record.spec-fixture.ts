/**
 * Tenant records for the unit specs, written out literally (never built by the mapper), so a
 * spec comparing the mapper's or the validator's output against them checks independent values.
 */
import type { TenantRecord } from './tenant.types.js';

/** What identifies a record and its source value: every spec states these itself. */
type RecordIdentity = Pick<TenantRecord, 'id' | 'subdomain' | 'emoji' | 'createdAt' | 'sourceHash'>;

/**
 * A tenant mapped from a legacy value: no profile, category 'Other', every feature off, a basic
 * active subscription without expiry, profile incomplete, no source id. `overrides` wins.
 */
export const legacyRecord = (overrides: RecordIdentity & Partial<TenantRecord>): TenantRecord => ({
  businessName: null,
  businessCategory: 'Other',
  businessDescription: null,
  ownerName: null,
  email: null,
  phone: null,
  address: null,
  logo: null,
  brandColors: null,
  features: {
    whatsapp: false,
    homeVisit: false,
    analytics: false,
    customTemplates: false,
    multiStaff: false,
  },
  subscription: { plan: 'basic', status: 'active', expiresAt: null },
  profileComplete: false,
  sourceFormat: 'legacy',
  sourceId: null,
  ...overrides,
});

/** An enhanced tenant, salon, with a profile and some features on. `overrides` wins. */
export const enhancedRecord = (overrides: Partial<TenantRecord> = {}): TenantRecord => ({
  id: '8483fddf-0bff-5271-8f60-456a6c654b8c',
  subdomain: 'salon',
  emoji: '💈',
  createdAt: 1712345678901,
  businessName: 'Salon',
  businessCategory: 'Beauty & Wellness',
  businessDescription: null,
  ownerName: null,
  email: 'elise@example.com',
  phone: '+33612345678',
  address: null,
  logo: null,
  brandColors: { primary: '#112233' },
  features: {
    whatsapp: true,
    homeVisit: false,
    analytics: true,
    customTemplates: false,
    multiStaff: false,
  },
  subscription: { plan: 'premium', status: 'active', expiresAt: null },
  profileComplete: false,
  sourceFormat: 'enhanced',
  sourceId: 'ten_42',
  sourceHash: 'ab'.repeat(32),
  ...overrides,
});

/** The fields of the enhanced format, in the spec's order. */
export const ENHANCED_FIELDS: readonly string[] = [
  'id',
  'subdomain',
  'emoji',
  'createdAt',
  'businessName',
  'businessCategory',
  'businessDescription',
  'ownerName',
  'email',
  'phone',
  'address',
  'logo',
  'brandColors',
  'features',
  'subscription',
];
