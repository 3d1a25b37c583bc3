/**
 * The built-in records the self-test runs through validation and mapping, and the verdict each
 * must get. Pure: built from the configured validation settings (so a configured reserved list
 * or timestamp range does not make a fixture lie), judged without any store.
 */
import { tenantIdFor, toEnhancedValue } from '../tenants/tenant-mapper.js';
import type { RejectionCode } from '../validation/reasons.js';
import { normalizeSubdomain } from '../validation/rules/subdomain.rule.js';
import type { ValidationResult, ValidationSettings } from '../validation/validation.types.js';
import { legacyRoundTrip, tenantDifferences, tenantOf } from './self-test-checks.js';
import { errorMessage } from '../common/error-message.js';

/** What the self-test needs of `TenantValidator`. */
export interface ValueValidator {
  validateValue(key: string, subdomainFromKey: string, raw: Buffer): ValidationResult;
}

export type FixtureExpectation =
  { accepted: 'legacy' | 'enhanced' } | { rejected: readonly RejectionCode[] };

export interface SelfTestFixture {
  /** What the fixture stands for, e.g. `legacy record`, `plain word as emoji`. */
  name: string;
  /** The key's subdomain (the key is the configured prefix + this). */
  subdomain: string;
  /** The Redis value. */
  value: string;
  expect: FixtureExpectation;
}

export interface FixtureVerdict {
  fixture: string;
  /** The fixture got exactly the verdict it must get. */
  ok: boolean;
  /** What happened: the verdict, or what was wrong with it. */
  detail: string;
}

/** The usual legacy timestamp (2023-11-14), or the start of the configured range if it lies outside. */
const validCreatedAt = (settings: ValidationSettings): number => {
  const usual = 1_700_000_000_000;
  const { min, max } = settings.createdAtRange;
  return usual >= min && usual < max ? usual : min;
};

/** The fixtures for these settings. */
export const selfTestFixtures = (settings: ValidationSettings): SelfTestFixture[] => {
  const createdAt = validCreatedAt(settings);
  const legacy = (emoji: unknown, at: unknown = createdAt): string =>
    JSON.stringify({ emoji, createdAt: at });
  const reserved = settings.reservedSubdomains
    .map(normalizeSubdomain)
    .find((name) => name.length > 0);
  const fixtures: SelfTestFixture[] = [
    {
      name: 'legacy record',
      subdomain: 'self-test-legacy',
      value: legacy('🍕'),
      expect: { accepted: 'legacy' },
    },
    {
      name: 'enhanced record',
      subdomain: 'self-test-enhanced',
      value: JSON.stringify({
        id: 'self-test-1',
        subdomain: 'self-test-enhanced',
        emoji: '💇',
        createdAt,
        businessName: 'Self-Test Salon',
        businessCategory: 'Beauty & Wellness',
        ownerName: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: '+15551234567',
        brandColors: { primary: '#ff0000' },
        features: { whatsapp: true, analytics: true },
        subscription: { plan: 'premium', status: 'active', expiresAt: createdAt + 86_400_000 },
      }),
      expect: { accepted: 'enhanced' },
    },
    {
      name: 'value that is not JSON',
      subdomain: 'self-test-bad',
      value: '{"emoji":',
      expect: { rejected: ['invalid-json'] },
    },
    {
      name: 'JSON array instead of an object',
      subdomain: 'self-test-bad',
      value: '[]',
      expect: { rejected: ['not-an-object'] },
    },
    {
      name: 'plain word as emoji',
      subdomain: 'self-test-bad',
      value: legacy('pizza'),
      expect: { rejected: ['invalid-emoji'] },
    },
    {
      name: 'missing createdAt',
      subdomain: 'self-test-bad',
      value: JSON.stringify({ emoji: '🍕' }),
      expect: { rejected: ['missing-field'] },
    },
    {
      name: 'createdAt out of range',
      subdomain: 'self-test-bad',
      value: legacy('🍕', settings.createdAtRange.max),
      expect: { rejected: ['timestamp-out-of-range'] },
    },
    {
      name: 'unknown field',
      subdomain: 'self-test-bad',
      value: JSON.stringify({ emoji: '🍕', createdAt, bogus: 1 }),
      expect: { rejected: ['unknown-field'] },
    },
    {
      name: 'email a@b..c',
      subdomain: 'self-test-bad',
      value: JSON.stringify({ emoji: '🍕', createdAt, businessName: 'Bad Mail', email: 'a@b..c' }),
      expect: { rejected: ['invalid-email'] },
    },
    {
      name: 'impossible phone number',
      subdomain: 'self-test-bad',
      value: JSON.stringify({ emoji: '🍕', createdAt, businessName: 'Bad Phone', phone: '+1 23' }),
      expect: { rejected: ['invalid-phone'] },
    },
    {
      name: 'double hyphen (punycode) subdomain',
      subdomain: 'xn--self-test',
      value: legacy('🍕'),
      expect: { rejected: ['subdomain-double-hyphen'] },
    },
  ];
  if (reserved !== undefined) {
    fixtures.push({
      name: `reserved subdomain "${reserved}"`,
      subdomain: reserved,
      value: legacy('🍕'),
      expect: { rejected: ['subdomain-reserved'] },
    });
  }
  return fixtures;
};

const codesOf = (codes: readonly string[]): string => [...new Set(codes)].sort().join(', ');

/** Validates one fixture and says whether it got the verdict it must get. */
export const judgeFixture = (
  validator: ValueValidator,
  prefix: string,
  settings: ValidationSettings,
  fixture: SelfTestFixture,
): FixtureVerdict => {
  const key = prefix + fixture.subdomain;
  const raw = Buffer.from(fixture.value, 'utf8');
  const verdict = (ok: boolean, detail: string): FixtureVerdict => ({
    fixture: fixture.name,
    ok,
    detail,
  });
  let result: ValidationResult;
  try {
    result = validator.validateValue(key, fixture.subdomain, raw);
  } catch (error) {
    return verdict(false, `validation threw: ${errorMessage(error)}`);
  }
  const { expect } = fixture;
  if ('rejected' in expect) {
    if (result.ok)
      return verdict(false, `accepted, but must be rejected with ${codesOf(expect.rejected)}`);
    const got = codesOf(result.reasons.map((r) => r.code));
    const wanted = codesOf(expect.rejected);
    return got === wanted
      ? verdict(true, `rejected with ${got}`)
      : verdict(false, `rejected with ${got}, expected ${wanted}`);
  }
  if (!result.ok)
    return verdict(
      false,
      `rejected with ${codesOf(result.reasons.map((r) => r.code))}, but must be accepted`,
    );
  const { record, notes } = result;
  const problems: string[] = [];
  const expected = JSON.parse(fixture.value) as { emoji: string; createdAt: number };
  if (record.sourceFormat !== expect.accepted)
    problems.push(`read as ${record.sourceFormat}, not ${expect.accepted}`);
  if (record.subdomain !== fixture.subdomain)
    problems.push(`subdomain "${record.subdomain}", not "${fixture.subdomain}"`);
  if (record.emoji !== expected.emoji || record.createdAt !== expected.createdAt)
    problems.push('emoji or createdAt changed');
  if (record.id !== tenantIdFor(fixture.subdomain))
    problems.push(`id ${record.id} is not the stable id of "${fixture.subdomain}"`);
  // The original system minted a new id on every read: two readers of one tenant must agree.
  const again = validator.validateValue(key, fixture.subdomain, raw);
  if (!again.ok || again.record.id !== record.id || again.record.sourceHash !== record.sourceHash)
    problems.push('a second validation gave another id or hash');
  if (expect.accepted === 'legacy') {
    const invented = (
      ['businessName', 'ownerName', 'email', 'phone', 'address', 'logo', 'brandColors'] as const
    ).filter((f) => record[f] !== null);
    if (invented.length > 0) problems.push(`invented ${invented.join(', ')}`);
    if (record.profileComplete) problems.push('profileComplete is true');
    if (record.subscription.expiresAt !== null) problems.push('an expiry was computed');
    if (record.businessCategory !== settings.defaults.businessCategory)
      problems.push(`category ${record.businessCategory}, not the default`);
    const trip = legacyRoundTrip(raw, record, notes);
    if (trip.outcome !== 'identical')
      problems.push(
        `toLegacyValue does not give the value back (${'detail' in trip ? trip.detail : trip.outcome})`,
      );
  } else {
    if (!record.profileComplete) problems.push('profileComplete is false');
    if (record.email !== 'ada@example.com' || record.phone !== '+15551234567')
      problems.push(`email/phone ${record.email}/${record.phone}`);
    if (!record.features.whatsapp || !record.features.analytics || record.features.multiStaff)
      problems.push('features were not kept');
    if (
      record.subscription.plan !== 'premium' ||
      record.subscription.expiresAt !== expected.createdAt + 86_400_000
    )
      problems.push('subscription was not kept');
    if (record.brandColors?.primary !== '#ff0000') problems.push('brandColors were not kept');
    if (record.sourceId !== 'self-test-1') problems.push(`sourceId ${record.sourceId}`);
    // The enhanced value sync writes back must read as the same tenant.
    const back = validator.validateValue(
      key,
      fixture.subdomain,
      Buffer.from(toEnhancedValue(tenantOf(record)), 'utf8'),
    );
    if (!back.ok)
      problems.push(`its enhanced value is rejected: ${codesOf(back.reasons.map((r) => r.code))}`);
    else {
      const differences = tenantDifferences(tenantOf(record), tenantOf(back.record));
      if (differences.length > 0)
        problems.push(`its enhanced value reads back differently: ${differences.join('; ')}`);
    }
  }
  return problems.length === 0
    ? verdict(true, `accepted as ${record.sourceFormat}, mapped as expected`)
    : verdict(false, `accepted, but ${problems.join('; ')}`);
};

/** Every fixture's verdict. */
export const runFixtures = (
  validator: ValueValidator,
  prefix: string,
  settings: ValidationSettings,
): FixtureVerdict[] =>
  selfTestFixtures(settings).map((fixture) => judgeFixture(validator, prefix, settings, fixture));
