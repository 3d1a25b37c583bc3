import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tenantIdFor } from '../tenants/tenant-mapper.js';
import { legacyRecord } from '../tenants/tenant-record.spec-fixture.js';
import { TenantValidator } from './tenant-validator.js';
import {
  DEFAULT_VALIDATION_SETTINGS,
  type ValidationResult,
  type ValidationSettings,
} from './validation.types.js';

const validator = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);
const gbValidator = new TenantValidator({
  ...DEFAULT_VALIDATION_SETTINGS,
  defaultPhoneRegion: 'GB',
});

const check = (
  sub: string,
  value: string | Buffer,
  v: TenantValidator = validator,
): ValidationResult =>
  v.validateValue(`subdomain:${sub}`, sub, typeof value === 'string' ? Buffer.from(value) : value);
const json = (value: unknown): string => JSON.stringify(value);
const codes = (result: ValidationResult): string[] =>
  (result.ok ? result.notes : result.reasons).map((r) => r.code);
const fields = (result: ValidationResult): (string | undefined)[] =>
  (result.ok ? result.notes : result.reasons).map((r) => r.field);
const T = 1700000000000;

/**
 * The values /work/shared/bench/seed-redis.js writes (same formulas, same generator), so the
 * seeded benchmark data is known to migrate.
 */
function seedValues(
  n: number,
  badPct = 0,
  enhancedPct = 15,
): { sub: string; value: string; kind: string }[] {
  const emojis = ['🚀', '🍕', '🎨', '🌮', '💈', '🧁', '🐶', '🌿', '⚽', '📚'];
  const categories = ['restaurant', 'retail', 'beauty', 'fitness', 'services', 'other'];
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: { sub: string; value: string; kind: string }[] = [];
  for (let i = 0; i < n; i++) {
    const sub = `t${i.toString(36)}-${((i * 7919) % 100000).toString(36)}`;
    const createdAt = 1700000000000 + Math.floor(rnd() * 5e10);
    const r = rnd() * 100;
    if (r < badPct) {
      const bad = [
        '{"emoji": "🚀", "createdAt": ',
        JSON.stringify({ emoji: 42, createdAt: 'yesterday' }),
        JSON.stringify({ createdAt }),
        'not json at all',
      ];
      out.push({ sub, value: bad[i % 4], kind: `bad${i % 4}` });
    } else if (r < badPct + enhancedPct) {
      out.push({
        sub,
        kind: 'enhanced',
        value: JSON.stringify({
          id: `ten_${i}`,
          subdomain: sub,
          emoji: emojis[i % 10],
          createdAt,
          businessName: `Business ${i}`,
          businessCategory: categories[i % categories.length],
          ownerName: `Owner ${i}`,
          email: `owner${i}@example.com`,
          phone: `+1555${String(i).padStart(7, '0')}`,
          address: `${i} Main St`,
          features: { whatsapp: i % 2 === 0, analytics: true },
          subscription: { plan: 'basic', status: 'active' },
        }),
      });
    } else {
      out.push({
        sub,
        kind: 'legacy',
        value: JSON.stringify({ emoji: emojis[i % 10], createdAt }),
      });
    }
  }
  return out;
}

describe('TenantValidator.validateValue: the seeded data', () => {
  it('accepts every seeded legacy and enhanced value (700 keys each at 0%, 100% and 15% enhanced)', () => {
    const seen = { legacy: 0, enhanced: 0 };
    for (const pct of [0, 100, 15]) {
      for (const { sub, value, kind } of seedValues(700, 0, pct)) {
        const result = check(sub, value);
        assert.ok(result.ok, `${sub} ${value}: ${JSON.stringify(result)}`);
        assert.equal(result.record.sourceFormat, kind);
        seen[kind as 'legacy' | 'enhanced']++;
      }
    }
    assert.ok(seen.legacy > 700 && seen.enhanced > 700);
  });

  it('maps a seeded legacy value to a tenant without inventing a profile', () => {
    const result = check('t0-0', json({ emoji: '🚀', createdAt: 1700012345678 }));
    assert.ok(result.ok);
    assert.deepEqual(result.notes, []);
    assert.deepEqual(
      result.record,
      legacyRecord({
        id: tenantIdFor('t0-0'),
        subdomain: 't0-0',
        emoji: '🚀',
        createdAt: 1700012345678,
        sourceHash: createHash('sha256')
          .update(json({ emoji: '🚀', createdAt: 1700012345678 }))
          .digest('hex'),
      }),
    );
  });

  it('maps a seeded enhanced value: category alias, partial features, subscription without expiry', () => {
    const value = json({
      id: 'ten_7',
      subdomain: 't7-alz',
      emoji: '🧁',
      createdAt: T,
      businessName: 'Business 7',
      businessCategory: 'retail',
      ownerName: 'Owner 7',
      email: 'owner7@example.com',
      phone: '+15550000007',
      address: '7 Main St',
      features: { whatsapp: false, analytics: true },
      subscription: { plan: 'basic', status: 'active' },
    });
    const result = check('t7-alz', value);
    assert.ok(result.ok);
    assert.deepEqual(codes(result), ['mapped-category']);
    const r = result.record;
    assert.equal(r.id, tenantIdFor('t7-alz'));
    assert.equal(r.sourceId, 'ten_7');
    assert.equal(r.businessCategory, 'Other');
    assert.deepEqual(r.features, {
      whatsapp: false,
      homeVisit: false,
      analytics: true,
      customTemplates: false,
      multiStaff: false,
    });
    assert.deepEqual(r.subscription, { plan: 'basic', status: 'active', expiresAt: null });
    assert.equal(r.profileComplete, true);
    assert.equal(r.phone, '+15550000007');
    assert.equal(r.businessDescription, null);
  });

  it("rejects the seeder's malformed values with the right reasons", () => {
    const expected: Record<string, string[]> = {
      bad0: ['invalid-json'],
      bad1: ['invalid-type', 'timestamp-unparseable'],
      bad2: ['missing-field'],
      bad3: ['invalid-json'],
    };
    const seen = new Set<string>();
    for (const { sub, value, kind } of seedValues(200, 100)) {
      const result = check(sub, value);
      assert.deepEqual(codes(result), expected[kind], `${kind} ${value}`);
      seen.add(kind);
    }
    assert.equal(seen.size, 4);
  });
});

describe('TenantValidator.validateValue: unreadable values', () => {
  const cases: [string, Buffer, string[]][] = [
    ['invalid UTF-8', Buffer.from([0xff, 0xfe]), ['invalid-utf8']],
    ['a truncated multi-byte sequence', Buffer.from([0x7b, 0xf0, 0x9f, 0x8d]), ['invalid-utf8']],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf]), ['invalid-utf8']],
    ['empty', Buffer.alloc(0), ['invalid-json']],
    ['not JSON', Buffer.from('not json at all'), ['invalid-json']],
    ['a JSON array', Buffer.from('[{"emoji":"🍕","createdAt":1700000000000}]'), ['not-an-object']],
    ['a JSON number', Buffer.from('1700000000000'), ['not-an-object']],
    ['JSON null', Buffer.from('null'), ['not-an-object']],
    ['a JSON string', Buffer.from('"🍕"'), ['not-an-object']],
    ['JSON true', Buffer.from('true'), ['not-an-object']],
  ];
  for (const [what, raw, expected] of cases) {
    it(`rejects ${what}`, () => {
      const result = check('shop', raw);
      assert.deepEqual(codes(result), expected);
      assert.deepEqual(fields(result), [undefined]);
    });
  }

  it('rejects a value above maxValueBytes before decoding it', () => {
    const small = new TenantValidator({ ...DEFAULT_VALIDATION_SETTINGS, maxValueBytes: 64 });
    const value = json({ emoji: '🍕', createdAt: T, businessName: 'x'.repeat(60) });
    assert.deepEqual(codes(check('shop', value, small)), ['value-too-large']);
    assert.equal(check('shop', json({ emoji: '🍕', createdAt: T }), small).ok, true);
  });

  it('accepts a UTF-8 byte-order mark before the JSON', () => {
    const result = check(
      'shop',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(json({ emoji: '🍕', createdAt: T })),
      ]),
    );
    assert.ok(result.ok);
  });

  it('also reports an invalid key subdomain with an unreadable value', () => {
    assert.deepEqual(codes(check('Admin', Buffer.from([0xff]))), [
      'subdomain-reserved',
      'invalid-utf8',
    ]);
  });
});

describe('TenantValidator.validateValue: fields', () => {
  const legacy = (createdAt: unknown, emoji: unknown = '🍕'): string => json({ emoji, createdAt });
  const cases: [string, string, string[], Partial<Record<'createdAt' | 'emoji', unknown>>?][] = [
    ['createdAt as digits', legacy('1700000000000'), ['coerced-created-at'], { createdAt: T }],
    [
      'createdAt as ISO',
      legacy('2023-11-14T22:13:20.000Z'),
      ['coerced-created-at'],
      { createdAt: T },
    ],
    ['createdAt 1.5', legacy(1.5), ['timestamp-not-integer']],
    ['createdAt -1', legacy(-1), ['timestamp-out-of-range']],
    ['createdAt 9e15', legacy(9e15), ['timestamp-out-of-range']],
    ['createdAt in seconds', legacy(1700000000), ['timestamp-out-of-range']],
    ['createdAt missing', json({ emoji: '🍕' }), ['missing-field']],
    ['emoji ZWJ family', legacy(T, '👨‍👩‍👧'), [], { emoji: '👨‍👩‍👧' }],
    ['emoji skin tone', legacy(T, '👍🏽'), [], { emoji: '👍🏽' }],
    ['emoji flag', legacy(T, '🇫🇷'), [], { emoji: '🇫🇷' }],
    ['emoji keycap', legacy(T, '1️⃣'), [], { emoji: '1️⃣' }],
    ['emoji word', legacy(T, 'pizza'), ['invalid-emoji']],
    ['emoji digit', legacy(T, '7'), ['invalid-emoji']],
    ['two emoji', legacy(T, '🍕🍕'), ['invalid-emoji']],
    ['empty emoji', legacy(T, ''), ['invalid-emoji']],
    [
      'emoji and createdAt both bad',
      legacy('yesterday', 42),
      ['invalid-type', 'timestamp-unparseable'],
    ],
  ];
  for (const [what, value, expected, record] of cases) {
    it(what, () => {
      const result = check('shop', value);
      assert.deepEqual(codes(result), expected);
      if (record !== undefined) {
        assert.ok(result.ok);
        for (const [key, v] of Object.entries(record))
          assert.equal(result.record[key as 'emoji'], v);
      }
    });
  }

  it('rejects a bad email (a@b..c), a bad phone and an unknown key together', () => {
    const result = check(
      'shop',
      json({ emoji: '🍕', createdAt: T, email: 'a@b..c', phone: 'call me', nickname: 'x' }),
    );
    assert.deepEqual(codes(result), ['invalid-email', 'invalid-phone', 'unknown-field']);
    assert.deepEqual(fields(result), ['email', 'phone', 'nickname']);
  });

  it('reads a national phone number only with a configured region', () => {
    const value = json({ emoji: '🍕', createdAt: T, phone: '020 7946 0958' });
    assert.deepEqual(codes(check('shop', value)), ['invalid-phone']);
    const result = check('shop', value, gbValidator);
    assert.ok(result.ok);
    assert.equal(result.record.phone, '+442079460958');
    assert.deepEqual(codes(result), ['normalized-phone']);
  });

  it('sanitizes text fields and notes it; RTL and SQL-looking text survive', () => {
    const result = check(
      'shop',
      json({
        emoji: '🍕',
        createdAt: T,
        businessName: '<script>alert(1)</script>مطعم الشام',
        ownerName: 'Da\u200Bna',
        address: "x'; drop table tenants;--",
        businessDescription: 'חנות\nפרחים',
      }),
    );
    assert.ok(result.ok);
    assert.equal(result.record.businessName, 'مطعم الشام');
    assert.equal(result.record.ownerName, 'Dana');
    assert.equal(result.record.address, "x'; drop table tenants;--");
    assert.equal(result.record.businessDescription, 'חנות\nפרחים');
    assert.deepEqual(fields(result), ['businessName', 'ownerName']);
    assert.deepEqual(codes(result), ['sanitized-text', 'sanitized-text']);
    assert.equal(result.record.profileComplete, false); // no email or phone
  });

  it('keeps brand colours as an object and the expiry to the millisecond', () => {
    const result = check(
      'shop',
      json({
        emoji: '🍕',
        createdAt: T + 1,
        brandColors: { primary: '#ff0000', accent: '#0f0' },
        subscription: { plan: 'premium', status: 'cancelled', expiresAt: T + 2 },
      }),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.record.brandColors, { primary: '#ff0000', accent: '#0f0' });
    assert.equal(result.record.createdAt, T + 1);
    assert.deepEqual(result.record.subscription, {
      plan: 'premium',
      status: 'cancelled',
      expiresAt: T + 2,
    });
  });

  it('rejects a subscription that expires before the tenant was created', () => {
    const result = check(
      'shop',
      json({ emoji: '🍕', createdAt: T, subscription: { status: 'active', expiresAt: T - 1 } }),
    );
    assert.deepEqual(codes(result), ['expires-before-created']);
    assert.deepEqual(fields(result), ['subscription.expiresAt']);
  });
});

describe('TenantValidator.validateValue: repeated member names', () => {
  it("rejects the issue's example: emoji given twice is ambiguous, whichever JSON.parse kept", () => {
    const result = check('shop', '{"emoji":"bad","createdAt":1,"emoji":"🍔"}');
    assert.ok(!result.ok);
    assert.deepEqual(result.reasons[0], {
      code: 'duplicate-field',
      field: 'emoji',
      message: 'field "emoji" appears 2 times in the value; it is ambiguous',
    });
    // createdAt 1 is still reported: every problem of the value, in canonical order
    assert.deepEqual(codes(result), ['duplicate-field', 'timestamp-out-of-range']);
    assert.deepEqual(fields(result), ['emoji', 'createdAt']);
  });

  it('rejects a repeated name even when the value JSON.parse kept is valid', () => {
    assert.deepEqual(codes(check('shop', `{"emoji":"bad","createdAt":${T},"emoji":"🍔"}`)), [
      'duplicate-field',
    ]);
    assert.deepEqual(codes(check('shop', `{"emoji":"🍔","createdAt":${T},"\\u0065moji":"🍔"}`)), [
      'duplicate-field',
    ]);
  });

  it('still accepts a valid value, and the same name in different objects', () => {
    assert.equal(check('shop', `{"emoji":"🍕","createdAt":${T}}`).ok, true);
    const nested = `{"emoji":"🍕","createdAt":${T},"subscription":{"plan":"basic","status":"active"},"features":{"analytics":true},"businessName":"\\"emoji\\":1"}`;
    assert.equal(check('shop', nested).ok, true);
  });

  it('reports the repeated names with the key and body reasons, nested names by path', () => {
    const value = `{"emoji":"pizza","createdAt":1,"createdAt":${T},"features":{"whatsapp":true,"whatsapp":1,"whatsapp":false},"nickname":1}`;
    const result = check('Admin', value);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.reasons.map((r) => `${r.field}:${r.code}`),
      [
        'subdomain:subdomain-reserved',
        'emoji:invalid-emoji',
        'createdAt:duplicate-field',
        'features.whatsapp:duplicate-field',
        'nickname:unknown-field',
      ],
    );
    assert.equal(
      result.reasons[3]?.message,
      'field "features.whatsapp" appears 3 times in the value; it is ambiguous',
    );
  });

  it('quotes a hostile name shortened, never whole', () => {
    const name = `${'n'.repeat(5000)}\\u0000`;
    const result = check('shop', `{"emoji":"🍕","createdAt":${T},"${name}":1,"${name}":2}`);
    assert.ok(!result.ok);
    const duplicate = result.reasons.find((r) => r.code === 'duplicate-field');
    assert.ok(
      duplicate !== undefined &&
        duplicate.message.length < 200 &&
        !duplicate.message.includes('\0'),
    );
  });
});

describe('TenantValidator.validateValue: the subdomain', () => {
  it('normalizes the key subdomain, notes the rename and says what it was', () => {
    const result = check('Shop', json({ emoji: '🍕', createdAt: T }));
    assert.ok(result.ok);
    assert.equal(result.record.subdomain, 'shop');
    assert.equal(result.record.id, tenantIdFor('shop'));
    assert.equal(result.renamedFrom, 'Shop');
    assert.deepEqual(codes(result), ['renamed-subdomain']);
    assert.equal(result.notes[0]?.field, 'subdomain');
  });

  it('does not set renamedFrom when the name was already canonical', () => {
    const result = check('shop', json({ emoji: '🍕', createdAt: T }));
    assert.ok(result.ok);
    assert.equal(Object.hasOwn(result, 'renamedFrom'), false);
  });

  const rejected: [string, string[]][] = [
    ['admin', ['subdomain-reserved']],
    ["x'; drop table tenants;--", ['subdomain-invalid-chars', 'subdomain-hyphen-edge']],
    ['a'.repeat(64), ['subdomain-too-long']],
    ['-shop', ['subdomain-hyphen-edge']],
    ['xn--bcher-kva', ['subdomain-double-hyphen']],
    ['', ['subdomain-empty']],
  ];
  for (const [sub, expected] of rejected) {
    it(`rejects the key subdomain ${JSON.stringify(sub.slice(0, 30))} even with a valid value`, () => {
      const result = check(sub, json({ emoji: '🍕', createdAt: T }));
      assert.deepEqual(codes(result), expected);
    });
  }

  it('accepts a 63-character key subdomain', () => {
    assert.equal(check('a'.repeat(63), json({ emoji: '🍕', createdAt: T })).ok, true);
  });

  it('reports key and body problems together', () => {
    assert.deepEqual(codes(check('www', json({ emoji: 'pizza', createdAt: T }))), [
      'subdomain-reserved',
      'invalid-emoji',
    ]);
  });

  it('rejects a body subdomain naming another tenant, and accepts one naming the same', () => {
    assert.deepEqual(
      codes(check('shop', json({ emoji: '🍕', createdAt: T, subdomain: 'other' }))),
      ['subdomain-mismatch'],
    );
    const same = check('shop', json({ emoji: '🍕', createdAt: T, subdomain: 'SHOP' }));
    assert.ok(same.ok);
    assert.equal(same.record.sourceFormat, 'legacy');
  });
});

describe('TenantValidator.validateValue: determinism', () => {
  it('gives equal records on every call and never reads the clock', () => {
    const value = json({
      id: 'ten_1',
      emoji: '🍕',
      createdAt: '2023-11-14T22:13:20.000Z',
      businessName: 'A',
    });
    const first = check('shop', value);
    const RealDate = Date;
    class NoClockDate extends RealDate {
      constructor(...args: ConstructorParameters<typeof Date> | []) {
        if (args.length === 0) throw new Error('the clock was read');
        super(...args);
      }
      static override now(): number {
        throw new Error('the clock was read');
      }
    }
    globalThis.Date = NoClockDate as DateConstructor;
    let second: ValidationResult;
    try {
      second = check('shop', value);
    } finally {
      globalThis.Date = RealDate;
    }
    assert.deepStrictEqual(second, first);
  });
});

describe('TenantValidator.validateInput', () => {
  const cases: [string, string | string[]][] = [
    ['shop', 'shop'],
    ['  My-Shop ', 'my-shop'],
    ['ＳＨＯＰ', 'shop'],
    ['admin', ['subdomain-reserved']],
    ['ADMIN', ['subdomain-reserved']],
    ['my_shop', ['subdomain-invalid-chars']],
    ['', ['subdomain-empty']],
    ['a'.repeat(64), ['subdomain-too-long']],
    ['x'.repeat(5000), ['subdomain-too-long']],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 20))}`, () => {
      const result = validator.validateInput(input);
      if (typeof expected === 'string') assert.deepEqual(result, { ok: true, subdomain: expected });
      else assert.deepEqual(result.ok ? [] : result.reasons.map((r) => r.code), expected);
    });
  }

  it('uses the configured reserved names, normalized', () => {
    const custom = new TenantValidator({
      ...DEFAULT_VALIDATION_SETTINGS,
      reservedSubdomains: ['Billing'],
    });
    assert.deepEqual(custom.validateInput('billing').ok, false);
    assert.deepEqual(custom.validateInput('admin'), { ok: true, subdomain: 'admin' });
  });
});

describe('TenantValidator construction', () => {
  const bad: [string, Partial<ValidationSettings>][] = [
    [
      'an unknown phone region',
      { defaultPhoneRegion: 'XX' as ValidationSettings['defaultPhoneRegion'] },
    ],
    ['an empty createdAt range', { createdAtRange: { min: 10, max: 10 } }],
  ];
  for (const [what, override] of bad) {
    it(`refuses ${what}`, () =>
      assert.throws(() => new TenantValidator({ ...DEFAULT_VALIDATION_SETTINGS, ...override })));
  }

  it('applies configured defaults to legacy tenants', () => {
    const custom = new TenantValidator({
      ...DEFAULT_VALIDATION_SETTINGS,
      defaults: {
        businessCategory: 'Healthcare',
        subscriptionPlan: 'premium',
        subscriptionStatus: 'suspended',
        features: {
          whatsapp: true,
          homeVisit: false,
          analytics: false,
          customTemplates: false,
          multiStaff: false,
        },
      },
    });
    const result = check('clinic', json({ emoji: '🏥', createdAt: T }), custom);
    assert.ok(result.ok);
    assert.equal(result.record.businessCategory, 'Healthcare');
    assert.deepEqual(result.record.subscription, {
      plan: 'premium',
      status: 'suspended',
      expiresAt: null,
    });
    assert.equal(result.record.features.whatsapp, true);
  });
});
