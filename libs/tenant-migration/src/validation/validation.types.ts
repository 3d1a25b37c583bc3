import type { CountryCode } from 'libphonenumber-js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { TenantDefaults, TenantRecord } from '../tenants/tenant.types.js';

/** A closed-open interval of epoch milliseconds: `min <= t < max`. */
export interface TimestampRange {
  min: number;
  max: number;
}

/** Everything validation depends on. Pure data, so it can be merged from configuration. */
export interface ValidationSettings {
  /** Names no tenant may hold, compared after normalization. */
  reservedSubdomains: readonly string[];
  /**
   * Region used to read phone numbers written without a `+` country code (e.g. `020 7946 0958`
   * with `GB`). Without it such numbers are rejected, never guessed.
   */
  defaultPhoneRegion?: CountryCode;
  /** Largest accepted Redis value, in bytes. */
  maxValueBytes: number;
  defaults: TenantDefaults;
  /** Accepted range of `createdAt` and `subscription.expiresAt`. */
  createdAtRange: TimestampRange;
}

export const DEFAULT_RESERVED_SUBDOMAINS: readonly string[] = Object.freeze([
  'www',
  'api',
  'admin',
  'app',
  'mail',
  'ftp',
  'smtp',
  'root',
  'support',
  'status',
  'blog',
  'static',
  'cdn',
  'assets',
  'dashboard',
]);

export const DEFAULT_VALIDATION_SETTINGS: ValidationSettings = Object.freeze({
  reservedSubdomains: DEFAULT_RESERVED_SUBDOMAINS,
  maxValueBytes: 65_536,
  defaults: Object.freeze({
    businessCategory: 'Other',
    subscriptionPlan: 'basic',
    subscriptionStatus: 'active',
    features: Object.freeze({
      whatsapp: false,
      homeVisit: false,
      analytics: false,
      customTemplates: false,
      multiStaff: false,
    }),
  }),
  createdAtRange: Object.freeze({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
});

/**
 * The verdict on one Redis value. `notes` lists the coercions and sanitizations that were
 * applied to an accepted value; `reasons` lists every problem of a rejected one.
 */
export type ValidationResult =
  | {
      ok: true;
      record: TenantRecord;
      notes: OutcomeReason[];
      /** The key's subdomain as written, when normalization changed it (e.g. `Shop` -> `shop`). */
      renamedFrom?: string;
    }
  | { ok: false; reasons: OutcomeReason[] };

/** The verdict on a subdomain typed by a user or an operator. */
export type SubdomainInputResult =
  { ok: true; subdomain: string } | { ok: false; reasons: OutcomeReason[] };
