import type { OutcomeReason } from '../../common/outcome-reason.js';
import {
  BUSINESS_CATEGORIES,
  type BrandColors,
  type BusinessCategory,
  FEATURE_FLAGS,
  type FeatureFlag,
  SUBSCRIPTION_PLANS,
  SUBSCRIPTION_STATUSES,
  type SubscriptionPlan,
  type SubscriptionStatus,
  type TenantFeatures,
} from '../../tenants/tenant.types.js';
import {
  invalidType,
  isJsonObject,
  NO_REASONS,
  preview,
  reason,
  unknownField,
} from '../reasons.js';
import type { TimestampRange } from '../validation.types.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';
import { coerceTimestamp } from './timestamp.rule.js';

/**
 * Category names as real data spells them, mapped to the canonical list. Each canonical
 * name also matches case-insensitively.
 */
export const CATEGORY_ALIASES: Readonly<Record<string, BusinessCategory>> = Object.freeze({
  restaurant: 'Food & Beverage',
  food: 'Food & Beverage',
  beauty: 'Beauty & Wellness',
  fitness: 'Fitness & Sports',
  services: 'Professional Services',
  retail: 'Other',
  other: 'Other',
});

const CANONICAL_CATEGORIES: ReadonlySet<string> = new Set(BUSINESS_CATEGORIES);
const CATEGORY_LOOKUP: ReadonlyMap<string, BusinessCategory> = new Map<string, BusinessCategory>([
  ...BUSINESS_CATEGORIES.map((c): [string, BusinessCategory] => [c.toLowerCase(), c]),
  ...Object.entries(CATEGORY_ALIASES),
]);

/** `businessCategory`: a canonical name, or a case variant or alias of one (noted). Empty means absent. */
export function checkCategory(
  value: unknown,
  field = 'businessCategory',
): RuleOutcome<BusinessCategory | null> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (CANONICAL_CATEGORIES.has(value)) return accept(value as BusinessCategory);
  const key = value.trim().toLowerCase();
  if (key.length === 0) return emptyAsAbsent(field);
  const category = CATEGORY_LOOKUP.get(key);
  if (category === undefined) {
    return reject(
      reason(
        'invalid-category',
        `${field} ${preview(value)} is not one of: ${BUSINESS_CATEGORIES.join(', ')}`,
        field,
      ),
    );
  }
  return accept(category, [
    reason('mapped-category', `${field} ${preview(value)} was mapped to "${category}"`, field),
  ]);
}

const PLANS: ReadonlySet<string> = new Set(SUBSCRIPTION_PLANS);
const STATUSES: ReadonlySet<string> = new Set(SUBSCRIPTION_STATUSES);

/** `subscription.plan`: exactly one of the plan names (case matters: plans are identifiers). */
export function checkPlan(
  value: unknown,
  field = 'subscription.plan',
): RuleOutcome<SubscriptionPlan> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (PLANS.has(value)) return accept(value as SubscriptionPlan);
  return reject(
    reason(
      'invalid-plan',
      `${field} ${preview(value)} is not one of: ${SUBSCRIPTION_PLANS.join(', ')}`,
      field,
    ),
  );
}

/** `subscription.status`: exactly one of the status names. */
export function checkStatus(
  value: unknown,
  field = 'subscription.status',
): RuleOutcome<SubscriptionStatus> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (STATUSES.has(value)) return accept(value as SubscriptionStatus);
  return reject(
    reason(
      'invalid-status',
      `${field} ${preview(value)} is not one of: ${SUBSCRIPTION_STATUSES.join(', ')}`,
      field,
    ),
  );
}

/** What a valid `subscription` object holds; null members fall back to the defaults. */
export interface SubscriptionSource {
  plan: SubscriptionPlan | null;
  status: SubscriptionStatus | null;
  expiresAt: number | null;
}

const SUBSCRIPTION_KEYS: ReadonlySet<string> = new Set(['plan', 'status', 'expiresAt']);

/**
 * `subscription`: an object of optional `plan`, `status` and `expiresAt` (epoch ms, coerced
 * like `createdAt`), nothing else. The expiry rule is "expiresAt must be after createdAt",
 * deliberately not "an active subscription must not have expired": "expired" would compare
 * with the clock, and a migration's result must not depend on when it runs. Whether a
 * subscription is current is decided when it is read, not when it is migrated.
 * `createdAt` is the tenant's valid creation time, or undefined when that is itself invalid.
 */
export function checkSubscription(
  value: unknown,
  createdAt: number | undefined,
  range: TimestampRange,
  field = 'subscription',
): RuleOutcome<SubscriptionSource> {
  if (!isJsonObject(value)) return reject(invalidType(field, 'an object', value));
  const reasons: OutcomeReason[] = [];
  let notes: readonly OutcomeReason[] = NO_REASONS;
  for (const key in value) {
    if (Object.hasOwn(value, key) && !SUBSCRIPTION_KEYS.has(key))
      reasons.push(unknownField(`${field}.${key}`));
  }
  let plan: SubscriptionPlan | null = null;
  if (value.plan !== undefined && value.plan !== null) {
    const outcome = checkPlan(value.plan, `${field}.plan`);
    if (outcome.ok) plan = outcome.value;
    else reasons.push(...outcome.reasons);
  }
  let status: SubscriptionStatus | null = null;
  if (value.status !== undefined && value.status !== null) {
    const outcome = checkStatus(value.status, `${field}.status`);
    if (outcome.ok) status = outcome.value;
    else reasons.push(...outcome.reasons);
  }
  let expiresAt: number | null = null;
  if (value.expiresAt !== undefined && value.expiresAt !== null) {
    const expiresField = `${field}.expiresAt`;
    const outcome = coerceTimestamp(value.expiresAt, range, expiresField);
    if (!outcome.ok) {
      reasons.push(...outcome.reasons);
    } else if (createdAt !== undefined && outcome.value <= createdAt) {
      reasons.push(
        reason(
          'expires-before-created',
          `${expiresField} (${outcome.value}) must be after createdAt (${createdAt})`,
          expiresField,
        ),
      );
    } else {
      expiresAt = outcome.value;
      if (outcome.coerced) {
        notes = [
          reason(
            'coerced-expires-at',
            `${expiresField} ${preview(value.expiresAt)} was read as ${outcome.value}`,
            expiresField,
          ),
        ];
      }
    }
  }
  if (reasons.length > 0) return reject(...reasons);
  return accept({ plan, status, expiresAt }, notes);
}

const FLAGS: ReadonlySet<string> = new Set(FEATURE_FLAGS);

/** `features`: an object of the five flags, each a boolean; missing (or null) flags take the defaults. */
export function checkFeatures(
  value: unknown,
  field = 'features',
): RuleOutcome<Partial<TenantFeatures>> {
  if (!isJsonObject(value)) return reject(invalidType(field, 'an object', value));
  const reasons: OutcomeReason[] = [];
  const features: Partial<TenantFeatures> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const flag = value[key];
    if (!FLAGS.has(key)) reasons.push(unknownField(`${field}.${key}`));
    else if (typeof flag === 'boolean') features[key as FeatureFlag] = flag;
    else if (flag !== null) reasons.push(invalidType(`${field}.${key}`, 'a boolean', flag));
  }
  return reasons.length > 0 ? reject(...reasons) : accept(features);
}

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const COLOR_KEYS: ReadonlySet<string> = new Set(['primary', 'secondary', 'accent']);

/** `brandColors`: an object of optional `primary`, `secondary`, `accent`, each `#RGB` or `#RRGGBB`. */
export function checkBrandColors(value: unknown, field = 'brandColors'): RuleOutcome<BrandColors> {
  if (!isJsonObject(value)) return reject(invalidType(field, 'an object', value));
  const reasons: OutcomeReason[] = [];
  const colors: BrandColors = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const color = value[key];
    if (!COLOR_KEYS.has(key)) reasons.push(unknownField(`${field}.${key}`));
    else if (typeof color === 'string' && HEX_COLOR.test(color))
      colors[key as keyof BrandColors] = color;
    else if (color !== null) {
      reasons.push(
        reason(
          'invalid-color',
          `${field}.${key} must be a #RGB or #RRGGBB colour, got ${preview(color)}`,
          `${field}.${key}`,
        ),
      );
    }
  }
  return reasons.length > 0 ? reject(...reasons) : accept(colors);
}
