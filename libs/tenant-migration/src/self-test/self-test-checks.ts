/**
 * The pure comparisons of the self-test: a tenant against another field by field, and a Redis
 * value against the legacy value its mapped tenant is written back as. No I/O.
 */
import type { OutcomeReason } from '../common/outcome-reason.js';
import { LEGACY_FIELDS, toLegacyValue } from '../tenants/tenant-mapper.js';
import type { EnhancedTenant, SourceFormat, TenantRecord } from '../tenants/tenant.types.js';

/** The fields of the enhanced tenant the platform reads, in the spec's order. */
const TENANT_FIELDS: readonly (keyof EnhancedTenant)[] = [
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
  'profileComplete',
  'sourceFormat',
];

/** JSON with object keys sorted at every level: jsonb (brandColors) does not keep key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  ) ?? 'undefined';

/** The tenant a record maps to, without its provenance (what the resolver returns). */
export const tenantOf = (record: TenantRecord): EnhancedTenant => {
  const { sourceId: _sourceId, sourceHash: _sourceHash, ...tenant } = record;
  return tenant;
};

/**
 * The fields on which a tenant in PostgreSQL must agree with the mapping of its Redis record,
 * as the integrity check compares them: every mapped field of an enhanced record, emoji and
 * createdAt of a legacy one (a profile added in PostgreSQL has no place in a legacy record, so
 * it is not drift); and the stable id for both.
 */
export const comparedFieldsFor = (format: SourceFormat): readonly (keyof EnhancedTenant)[] =>
  format === 'legacy'
    ? ['id', ...LEGACY_FIELDS]
    : TENANT_FIELDS.filter((f) => f !== 'subdomain' && f !== 'sourceFormat');

/** Every field (of `fields`, default all) in which the two tenants differ, as `field: <expected> / <actual>`; empty when equal. */
export const tenantDifferences = (
  expected: EnhancedTenant,
  actual: EnhancedTenant,
  fields: readonly (keyof EnhancedTenant)[] = TENANT_FIELDS,
): string[] =>
  fields
    .filter((field) => canonical(expected[field]) !== canonical(actual[field]))
    .map((field) => `${field}: ${canonical(expected[field])} / ${canonical(actual[field])}`);

/** What a legacy reader of a key sees: `JSON.parse(value).emoji` and `.createdAt`. */
export interface LegacyView {
  emoji: unknown;
  createdAt: unknown;
}

export const legacyViewOf = (text: string): LegacyView | null => {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const { emoji, createdAt } = parsed as Record<string, unknown>;
    return { emoji, createdAt };
  } catch {
    return null;
  }
};

/**
 * How the legacy value of a mapped tenant (`toLegacyValue`, what sync writes back for legacy
 * readers) compares with the Redis value it was mapped from:
 * - `identical`: the same bytes (a canonical legacy value);
 * - `equal`: another layout or an enhanced value, but a legacy reader sees the same emoji and createdAt;
 * - `normalized`: they differ, and validation says why (the emoji was trimmed, a createdAt string was read as a number);
 * - `mismatch`: they differ for no stated reason: the mapping lost or changed data.
 */
export type LegacyRoundTrip =
  { outcome: 'identical' | 'equal' } | { outcome: 'normalized' | 'mismatch'; detail: string };

export const legacyRoundTrip = (
  raw: Buffer | string,
  record: TenantRecord,
  notes: readonly OutcomeReason[],
): LegacyRoundTrip => {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const written = toLegacyValue(record);
  if (written === text) return { outcome: 'identical' };
  const before = legacyViewOf(text);
  const after = legacyViewOf(written);
  const changed = (['emoji', 'createdAt'] as const).filter(
    (field) => before === null || after === null || before[field] !== after[field],
  );
  if (changed.length === 0) return { outcome: 'equal' };
  const detail = changed
    .map(
      (field) =>
        `${field} ${JSON.stringify(before?.[field]) ?? 'absent'} -> ${JSON.stringify(after?.[field])}`,
    )
    .join(', ');
  const explained = changed.every((field) => notes.some((note) => note.field === field));
  return { outcome: explained ? 'normalized' : 'mismatch', detail };
};
