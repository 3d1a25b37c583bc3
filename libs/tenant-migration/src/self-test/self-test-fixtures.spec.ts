import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TenantValidator } from '../validation/tenant-validator.js';
import {
  DEFAULT_VALIDATION_SETTINGS,
  type ValidationResult,
  type ValidationSettings,
} from '../validation/validation.types.js';
import { REJECTION_CODES } from '../validation/reasons.js';
import {
  judgeFixture,
  runFixtures,
  selfTestFixtures,
  type ValueValidator,
} from './self-test-fixtures.js';

const PREFIX = 'subdomain:';
const settingsWith = (overrides: Partial<ValidationSettings>): ValidationSettings => ({
  ...DEFAULT_VALIDATION_SETTINGS,
  ...overrides,
});

describe('self-test fixtures', () => {
  it('every built-in record gets the verdict it must get from the real validator', () => {
    const verdicts = runFixtures(
      new TenantValidator(DEFAULT_VALIDATION_SETTINGS),
      PREFIX,
      DEFAULT_VALIDATION_SETTINGS,
    );
    assert.ok(verdicts.length >= 10);
    for (const v of verdicts) assert.equal(v.ok, true, `${v.fixture}: ${v.detail}`);
    assert.match(
      verdicts.find((v) => v.fixture === 'legacy record')?.detail ?? '',
      /accepted as legacy/,
    );
    assert.match(
      verdicts.find((v) => v.fixture === 'enhanced record')?.detail ?? '',
      /accepted as enhanced/,
    );
    assert.match(
      verdicts.find((v) => v.fixture === 'plain word as emoji')?.detail ?? '',
      /rejected with invalid-emoji/,
    );
  });

  it('covers a legacy, an enhanced and known-bad records, each expecting real rejection codes', () => {
    const fixtures = selfTestFixtures(DEFAULT_VALIDATION_SETTINGS);
    const accepted = fixtures.flatMap((f) => ('accepted' in f.expect ? [f.expect.accepted] : []));
    assert.deepEqual(accepted.sort(), ['enhanced', 'legacy']);
    const rejected = fixtures.flatMap((f) => ('rejected' in f.expect ? f.expect.rejected : []));
    assert.ok(rejected.length >= 8);
    for (const code of rejected)
      assert.ok((REJECTION_CODES as readonly string[]).includes(code), code);
    assert.ok(
      rejected.includes('subdomain-reserved'),
      'the default reserved list yields a reserved fixture',
    );
  });

  it('follows the configured settings: reserved list, timestamp range, phone region', () => {
    const custom = settingsWith({
      reservedSubdomains: ['Internal'],
      createdAtRange: { min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) },
      defaultPhoneRegion: 'GB',
    });
    const verdicts = runFixtures(new TenantValidator(custom), PREFIX, custom);
    for (const v of verdicts) assert.equal(v.ok, true, `${v.fixture}: ${v.detail}`);
    assert.ok(verdicts.some((v) => v.fixture === 'reserved subdomain "internal"'));
    const none = settingsWith({ reservedSubdomains: [] });
    const withoutReserved = runFixtures(new TenantValidator(none), PREFIX, none);
    assert.ok(withoutReserved.every((v) => v.ok && !v.fixture.startsWith('reserved')));
  });

  it('fails a validator that accepts bad records, rejects good ones or invents data', () => {
    const real = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);
    const fixtures = selfTestFixtures(DEFAULT_VALIDATION_SETTINGS);
    const legacyResult = real.validateValue(
      `${PREFIX}self-test-legacy`,
      'self-test-legacy',
      Buffer.from(fixtures[0].value),
    );
    assert.ok(legacyResult.ok);

    const acceptsAll: ValueValidator = { validateValue: (): ValidationResult => legacyResult };
    const bad = fixtures.find((f) => f.name === 'plain word as emoji');
    assert.ok(bad);
    const lenient = judgeFixture(acceptsAll, PREFIX, DEFAULT_VALIDATION_SETTINGS, bad);
    assert.equal(lenient.ok, false);
    assert.match(lenient.detail, /accepted, but must be rejected with invalid-emoji/);

    const rejectsAll: ValueValidator = {
      validateValue: () => ({
        ok: false,
        reasons: [{ code: 'invalid-email', message: 'x', field: 'email' }],
      }),
    };
    const strict = judgeFixture(rejectsAll, PREFIX, DEFAULT_VALIDATION_SETTINGS, fixtures[0]);
    assert.equal(strict.ok, false);
    assert.match(strict.detail, /rejected with invalid-email, but must be accepted/);
    const wrongCode = judgeFixture(rejectsAll, PREFIX, DEFAULT_VALIDATION_SETTINGS, bad);
    assert.match(wrongCode.detail, /rejected with invalid-email, expected invalid-emoji/);

    // The original defect: legacy records mapped with empty email and phone.
    const inventing: ValueValidator = {
      validateValue: () => ({
        ok: true,
        record: { ...legacyResult.record, email: '', phone: '' },
        notes: [],
      }),
    };
    const invented = judgeFixture(inventing, PREFIX, DEFAULT_VALIDATION_SETTINGS, fixtures[0]);
    assert.equal(invented.ok, false);
    assert.match(invented.detail, /invented email, phone/);

    // The original defect: a new id on every read.
    let calls = 0;
    const unstable: ValueValidator = {
      validateValue: (key, sub, raw) => {
        const result = real.validateValue(key, sub, raw);
        return result.ok
          ? {
              ...result,
              record: { ...result.record, id: `${result.record.id.slice(0, -1)}${calls++ % 10}` },
            }
          : result;
      },
    };
    assert.equal(
      judgeFixture(unstable, PREFIX, DEFAULT_VALIDATION_SETTINGS, fixtures[0]).ok,
      false,
    );

    const throwing: ValueValidator = {
      validateValue: () => {
        throw new Error('boom');
      },
    };
    assert.match(
      judgeFixture(throwing, PREFIX, DEFAULT_VALIDATION_SETTINGS, fixtures[0]).detail,
      /validation threw: boom/,
    );
  });
});
