/**
 * Properties of the validator and of the storable-text encoder over arbitrary input: bytes,
 * JSON values, and tenant-like values with hostile pieces spliced in (see
 * test/support/hostile-data.ts). A failure prints fast-check's seed and path; replay one with
 * TM_PROPERTY_SEED=<seed> TM_PROPERTY_PATH=<path>. TM_PROPERTY_RUNS scales every property.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStorableText, storableJson, storableText } from '../common/storable-text.js';
import { NOTE_CODES, REJECTION_CODES } from './reasons.js';
import { TenantValidator } from './tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS, type ValidationResult } from './validation.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import {
  byteValue,
  hostileString,
  hostileUnit,
  hostileValue,
  isWellFormedText,
  jsonStringUnit,
  jsonValueValue,
  MAX_VALUE_BYTES,
  subdomainName,
  tenantLikeValue,
  type HostileValue,
} from '../../../../test/support/hostile-data.js';

const validator = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);
assert.equal(
  DEFAULT_VALIDATION_SETTINGS.maxValueBytes,
  MAX_VALUE_BYTES,
  'the generators size oversized values for the default limit',
);

const scale = Number(process.env.TM_PROPERTY_RUNS ?? 1);
const runs = <T>(n: number): fc.Parameters<T> => {
  const seed = process.env.TM_PROPERTY_SEED;
  return {
    numRuns: Math.max(1, Math.round(n * scale)),
    // the assertion that failed, next to the counterexample
    includeErrorInReport: true,
    ...(seed ? { seed: Number(seed), path: process.env.TM_PROPERTY_PATH } : {}),
  };
};

/** The name after the prefix: valid, upper-case, or anything at all (NUL and lone surrogates included). */
const keyName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: subdomainName },
  { weight: 1, arbitrary: subdomainName.map((s) => s.toUpperCase()) },
  { weight: 1, arbitrary: hostileString },
);
/** Any value, with the kinds of input weighted evenly enough that each is well covered. */
const anyValue: fc.Arbitrary<HostileValue> = fc.oneof(
  hostileValue,
  tenantLikeValue,
  byteValue,
  jsonValueValue,
);

const validate = (name: string, value: HostileValue): ValidationResult =>
  validator.validateValue(`subdomain:${name}`, name, value.bytes);
const reasonsOf = (result: ValidationResult): OutcomeReason[] =>
  result.ok ? result.notes : result.reasons;

const CODES: ReadonlySet<string> = new Set(REJECTION_CODES);
const NOTES: ReadonlySet<string> = new Set(NOTE_CODES);
/**
 * The `\uXXXX` escapes of a JSON text (hex, lower case). A backslash escapes the character after
 * it, so `\\u0000` (an escaped backslash, then `u0000`) is text, not an escape: what
 * storableText writes for NUL must not count as one.
 */
const unicodeEscapes = (json: string): string[] => {
  const found: string[] = [];
  for (let i = 0; i < json.length; i++) {
    if (json[i] !== '\\') continue;
    if (json[i + 1] === 'u') found.push(json.slice(i + 2, i + 6).toLowerCase());
    i++;
  }
  return found;
};

/** Every string in a JSON value, member names included. */
const stringsOf = (value: unknown, out: string[] = []): string[] => {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsOf(item, out);
    }
  }
  return out;
};

/**
 * `storableJson(value)` is what goes into a jsonb column: it must parse back, hold no `\u0000`
 * escape and no lone surrogate (escaped or raw), keep every string that was storable exactly,
 * and encode every other one with `storableText`. `expected` is the value with that applied.
 */
const assertStorableJson = (value: unknown, expected: unknown): void => {
  const json = storableJson(value);
  // jsonb refuses `\u0000` and lone surrogate escapes; JSON.stringify writes pairs raw, so any
  // surrogate escape at all is a lone one.
  for (const hex of unicodeEscapes(json)) {
    assert.ok(hex !== '0000' && !/^d[89a-f]/.test(hex), `no \\u${hex} escape in ${json}`);
  }
  assert.ok(isWellFormedText(json) && !json.includes('\u0000'), 'no raw NUL or lone surrogate');
  const back: unknown = JSON.parse(json);
  assert.deepEqual(back, expected);
  for (const text of stringsOf(back))
    assert.ok(isStorableText(text), `storable: ${JSON.stringify(text)}`);
};

/**
 * The oracle for `storableJson`: the value as JSON reads it back (so -0 is 0) with `storableText`
 * applied to every string and member name.
 */
const encodedCopy = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(encodedStrings(value))) as unknown;
const encodedStrings = (value: unknown): unknown => {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(encodedStrings);
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines members, so a `__proto__` member stays a member (as JSON.parse makes it)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [storableText(k), encodedStrings(v)]),
    );
  }
  return value;
};

describe('TenantValidator.validateValue: properties over arbitrary input', () => {
  it('never throws, and gives a record or at least one reason, with known codes', () => {
    fc.assert(
      fc.property(keyName, anyValue, (name, value) => {
        const result = validate(name, value);
        if (result.ok) {
          assert.equal(typeof result.record, 'object');
          assert.equal(
            result.record.subdomain,
            result.record.subdomain.toLowerCase(),
            'an accepted subdomain is normalised',
          );
          for (const note of result.notes)
            assert.ok(NOTES.has(note.code), `note code ${note.code}`);
        } else {
          assert.ok(result.reasons.length >= 1, 'a rejection says why');
          for (const r of result.reasons) assert.ok(CODES.has(r.code), `rejection code ${r.code}`);
        }
        for (const r of reasonsOf(result)) {
          assert.ok(
            typeof r.message === 'string' && r.message.length > 0,
            'every reason has a message',
          );
          assert.ok(
            r.field === undefined || typeof r.field === 'string',
            'field is a string when present',
          );
        }
      }),
      runs(2500),
    );
  });

  it('every reason and note reaches jsonb intact through storableJson', () => {
    fc.assert(
      fc.property(keyName, anyValue, (name, value) => {
        const reasons = reasonsOf(validate(name, value));
        assertStorableJson(reasons, encodedCopy(reasons));
        // Reasons that were storable already are stored exactly as the validator wrote them.
        if (reasons.every((r) => stringsOf(r).every(isStorableText)))
          assert.equal(storableJson(reasons), JSON.stringify(reasons));
      }),
      runs(2500),
    );
  });

  it('rejects every value that cannot be a tenant (not UTF-8, not JSON, not an object, unknown, missing or duplicate members, too large)', () => {
    fc.assert(
      fc.property(keyName, anyValue, (name, value) => {
        fc.pre(value.mustReject !== null);
        const result = validate(name, value);
        assert.equal(
          result.ok,
          false,
          `accepted a value that must be rejected (${value.mustReject}): ${JSON.stringify(result.ok && result.record)}`,
        );
      }),
      { ...runs(2500), maxSkipsPerRun: 100 },
    );
  });

  it('an accepted record holds only text PostgreSQL can store', () => {
    fc.assert(
      fc.property(subdomainName, tenantLikeValue, (name, value) => {
        const result = validate(name, value);
        fc.pre(result.ok);
        for (const text of stringsOf(
          JSON.parse(JSON.stringify(result.ok ? result.record : null)),
        )) {
          assert.ok(isStorableText(text), `record text ${JSON.stringify(text)}`);
        }
      }),
      { ...runs(1000), maxSkipsPerRun: 100 },
    );
  });
});

describe('storableText and storableJson: properties', () => {
  /** Strings of code units, NUL and lone surrogates frequent. */
  const text = fc.string({ unit: hostileUnit, maxLength: 40 });
  /** Text PostgreSQL stores as it is. */
  const storable = fc
    .string({ unit: 'binary', maxLength: 40 })
    .map((s) => s.replaceAll('\u0000', ''));

  it('storableText is idempotent, its output well-formed and NUL-free, and shows what it replaced', () => {
    fc.assert(
      fc.property(text, (s) => {
        const once = storableText(s);
        assert.equal(storableText(once), once, 'idempotent');
        assert.ok(isWellFormedText(once), 'no lone surrogate');
        assert.ok(!once.includes('\u0000'), 'no NUL');
        assert.equal(isStorableText(once), true);
        assert.equal(
          isStorableText(s),
          isWellFormedText(s) && !s.includes('\u0000'),
          'isStorableText says exactly whether PostgreSQL stores the text',
        );
        if (s !== once)
          assert.ok(once.length > s.length, 'a replacement names the code unit, it never drops it');
      }),
      runs(5000),
    );
  });

  it('storableText is the identity on well-formed text without NUL', () => {
    fc.assert(
      fc.property(storable, (s) => {
        assert.equal(storableText(s), s);
        assert.equal(isStorableText(s), true);
      }),
      runs(3000),
    );
  });

  it('storableJson of any JSON value (hostile strings and member names) parses back storable, and unchanged where it could be', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: jsonStringUnit, maxDepth: 4 }), (value) => {
        assertStorableJson(value, encodedCopy(value));
        if (stringsOf(value).every(isStorableText))
          assert.equal(storableJson(value), JSON.stringify(value));
      }),
      runs(3000),
    );
  });
});
