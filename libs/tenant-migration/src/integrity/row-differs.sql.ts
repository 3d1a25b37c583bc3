import { fromEpochMs } from '../migration/tenant-merge.repository.js';
import { LEGACY_FIELDS } from '../tenants/tenant-mapper.js';

/** How a compared column is held in a staged record: as is, or as epoch milliseconds. */
export type ComparedKind = 'value' | 'epoch-ms';

/** Every mapped field the check compares: its name in the enhanced format, its column, its kind. */
export const COMPARED_FIELDS: readonly [field: string, column: string, kind: ComparedKind][] = [
  ['emoji', 'emoji', 'value'],
  ['createdAt', 'created_at', 'epoch-ms'],
  ['businessName', 'business_name', 'value'],
  ['businessCategory', 'business_category', 'value'],
  ['businessDescription', 'business_description', 'value'],
  ['ownerName', 'owner_name', 'value'],
  ['email', 'email', 'value'],
  ['phone', 'phone', 'value'],
  ['address', 'address', 'value'],
  ['logo', 'logo', 'value'],
  ['brandColors', 'brand_colors', 'value'],
  ['features.whatsapp', 'feature_whatsapp', 'value'],
  ['features.homeVisit', 'feature_home_visit', 'value'],
  ['features.analytics', 'feature_analytics', 'value'],
  ['features.customTemplates', 'feature_custom_templates', 'value'],
  ['features.multiStaff', 'feature_multi_staff', 'value'],
  ['subscription.plan', 'subscription_plan', 'value'],
  ['subscription.status', 'subscription_status', 'value'],
  ['subscription.expiresAt', 'subscription_expires_at', 'epoch-ms'],
  ['profileComplete', 'profile_complete', 'value'],
];

/** A staged record's column (alias s) as the value of its tenants column. */
export const redisSide = (column: string, kind: ComparedKind): string =>
  kind === 'epoch-ms' ? fromEpochMs(`s.${column}`) : `s.${column}`;

const rowsDiffer = (fields: typeof COMPARED_FIELDS): string =>
  `ROW(${fields.map(([, c, k]) => redisSide(c, k)).join(', ')}) IS DISTINCT FROM ROW(${fields.map(([, c]) => `t.${c}`).join(', ')})`;

/**
 * SQL true when a staged record (alias s) and its tenant (alias t) differ in a field the
 * record carries: every mapped field of an enhanced record; emoji and createdAt of a legacy
 * one (a profile added in PostgreSQL has no place in a legacy record, so it is not drift).
 */
export const ROW_DIFFERS = `CASE WHEN s.source_format = 'legacy'
  THEN ${rowsDiffer(COMPARED_FIELDS.filter(([f]) => (LEGACY_FIELDS as readonly string[]).includes(f)))}
  ELSE ${rowsDiffer(COMPARED_FIELDS)} END`;
