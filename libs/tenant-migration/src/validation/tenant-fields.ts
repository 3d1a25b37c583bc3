import type { CountryCode } from 'libphonenumber-js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { SourceFormat } from '../tenants/tenant.types.js';
import { missingField, preview, reason } from './reasons.js';
import {
  checkBrandColors,
  checkCategory,
  checkFeatures,
  checkSubscription,
} from './rules/business.rule.js';
import { checkEmail } from './rules/email.rule.js';
import { checkEmoji } from './rules/emoji.rule.js';
import { checkPhone } from './rules/phone.rule.js';
import { ABSENT, accept, reject, type RuleOutcome } from './rules/rule-outcome.js';
import { checkText } from './rules/sanitize-text.js';
import { checkSourceId } from './rules/source-id.rule.js';
import { checkBodySubdomain } from './rules/subdomain.rule.js';
import { coerceTimestamp } from './rules/timestamp.rule.js';
import { checkHttpUrl } from './rules/url.rule.js';
import type { TimestampRange } from './validation.types.js';

/** What the field rules need besides the value: settings, and the subdomain the key names. */
export interface FieldContext {
  readonly createdAtRange: TimestampRange;
  readonly defaultPhoneRegion: CountryCode | undefined;
  /** The key's subdomain, normalized. */
  readonly keySubdomain: string;
}

/** A rule for one top-level field. `record` is the whole body, for cross-field rules. */
export type FieldRule = (
  value: unknown,
  record: Readonly<Record<string, unknown>>,
  ctx: FieldContext,
) => RuleOutcome<unknown>;

export interface FieldSpec {
  readonly name: string;
  /** Required fields must be present and non-null; optional ones may be missing or null. */
  readonly required: boolean;
  readonly rule: FieldRule;
}

const createdAtRule: FieldRule = (value, _record, ctx) => {
  const outcome = coerceTimestamp(value, ctx.createdAtRange, 'createdAt');
  if (!outcome.ok) return outcome;
  if (!outcome.coerced) return accept(outcome.value);
  return accept(outcome.value, [
    reason(
      'coerced-created-at',
      `createdAt ${preview(value)} was read as ${outcome.value}`,
      'createdAt',
    ),
  ]);
};

const subscriptionRule: FieldRule = (value, record, ctx) => {
  const createdAt = coerceTimestamp(record.createdAt, ctx.createdAtRange, 'createdAt');
  return checkSubscription(value, createdAt.ok ? createdAt.value : undefined, ctx.createdAtRange);
};

/**
 * Every field of the two Redis formats, in canonical order, with its rule. `validateBody`
 * reads this table, so each rule is written once. The legacy format is the subset `emoji`, `createdAt` (and the
 * `subdomain` the spec's legacy interface lists); every other field makes a record enhanced.
 */
export const TENANT_FIELD_SPECS: readonly FieldSpec[] = Object.freeze([
  { name: 'id', required: false, rule: (v) => checkSourceId(v, 'id') },
  {
    name: 'subdomain',
    required: false,
    rule: (v, _r, ctx) => checkBodySubdomain(v, ctx.keySubdomain),
  },
  { name: 'emoji', required: true, rule: (v) => checkEmoji(v, 'emoji') },
  { name: 'createdAt', required: true, rule: createdAtRule },
  {
    name: 'businessName',
    required: false,
    rule: (v) => checkText(v, { field: 'businessName', maxLength: 120, mode: 'single-line' }),
  },
  { name: 'businessCategory', required: false, rule: (v) => checkCategory(v, 'businessCategory') },
  {
    name: 'businessDescription',
    required: false,
    rule: (v) =>
      checkText(v, { field: 'businessDescription', maxLength: 2000, mode: 'multi-line' }),
  },
  {
    name: 'ownerName',
    required: false,
    rule: (v) => checkText(v, { field: 'ownerName', maxLength: 120, mode: 'single-line' }),
  },
  { name: 'email', required: false, rule: (v) => checkEmail(v, 'email') },
  {
    name: 'phone',
    required: false,
    rule: (v, _r, ctx) => checkPhone(v, ctx.defaultPhoneRegion, 'phone'),
  },
  {
    name: 'address',
    required: false,
    rule: (v) => checkText(v, { field: 'address', maxLength: 300, mode: 'multi-line' }),
  },
  { name: 'logo', required: false, rule: (v) => checkHttpUrl(v, 'logo') },
  { name: 'brandColors', required: false, rule: (v) => checkBrandColors(v, 'brandColors') },
  { name: 'features', required: false, rule: (v) => checkFeatures(v, 'features') },
  { name: 'subscription', required: false, rule: subscriptionRule },
]);

export const FIELD_SPECS: ReadonlyMap<string, FieldSpec> = new Map(
  TENANT_FIELD_SPECS.map((s) => [s.name, s]),
);
export const REQUIRED_FIELDS: readonly FieldSpec[] = TENANT_FIELD_SPECS.filter((s) => s.required);
/** The keys a legacy value may have; any other key makes the record enhanced. */
export const LEGACY_FIELD_NAMES: ReadonlySet<string> = new Set(['emoji', 'createdAt', 'subdomain']);

export function specOf(name: string): FieldSpec {
  const spec = FIELD_SPECS.get(name);
  if (spec === undefined) throw new Error(`"${name}" is not a tenant field`);
  return spec;
}

/** Runs one field's rule; a missing or null value is "absent" (a reason if the field is required). */
export function runField(
  spec: FieldSpec,
  value: unknown,
  record: Readonly<Record<string, unknown>>,
  ctx: FieldContext,
): RuleOutcome<unknown> {
  if (value === undefined || value === null) {
    return spec.required ? reject(missingField(spec.name)) : ABSENT;
  }
  return spec.rule(value, record, ctx);
}

/** Legacy when every key is one of emoji, createdAt, subdomain; enhanced otherwise. */
export function detectSourceFormat(body: Readonly<Record<string, unknown>>): SourceFormat {
  for (const key in body)
    if (Object.hasOwn(body, key) && !LEGACY_FIELD_NAMES.has(key)) return 'enhanced';
  return 'legacy';
}

const FIELD_ORDER: ReadonlyMap<string, number> = new Map(
  TENANT_FIELD_SPECS.map((s, i) => [s.name, i]),
);

const rank = (r: OutcomeReason): number => {
  if (r.field === undefined) return -1;
  const dot = r.field.indexOf('.');
  return FIELD_ORDER.get(dot < 0 ? r.field : r.field.slice(0, dot)) ?? TENANT_FIELD_SPECS.length;
};

/**
 * Puts reasons (or notes) in canonical order - by field in table order (unknown fields last),
 * then field path, then code - so both validation paths, and any key order in the source
 * JSON, report identically. Sorts in place.
 */
export function sortReasons<T extends OutcomeReason[]>(reasons: T): T {
  if (reasons.length < 2) return reasons;
  return reasons.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      compare(a.field ?? '', b.field ?? '') ||
      compare(a.code, b.code) ||
      compare(a.message, b.message),
  );
}

/** Code-unit order: unlike `localeCompare`, the same on every machine and locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
