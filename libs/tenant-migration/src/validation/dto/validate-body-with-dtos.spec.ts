import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldContext } from '../tenant-fields.js';
import { validateBody } from '../validate-body.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation.types.js';
import { TenantEnhancedDto } from './tenant-enhanced.dto.js';
import { validateBodyWithDtos } from './validate-body-with-dtos.js';

const ctx: FieldContext = {
  createdAtRange: DEFAULT_VALIDATION_SETTINGS.createdAtRange,
  defaultPhoneRegion: 'GB',
  keySubdomain: 't3-abc',
};
const T = 1700000000000;
const seedEnhanced = {
  id: 'ten_3',
  subdomain: 't3-abc',
  emoji: '🌮',
  createdAt: T,
  businessName: 'Business 3',
  businessCategory: 'restaurant',
  ownerName: 'Owner 3',
  email: 'owner3@example.com',
  phone: '+15550000003',
  address: '3 Main St',
  features: { whatsapp: false, analytics: true },
  subscription: { plan: 'basic', status: 'active' },
};
const full = {
  ...seedEnhanced,
  businessDescription: 'We bake.\nWe deliver.',
  logo: 'https://cdn.example.com/logo.png',
  brandColors: { primary: '#ff0000', secondary: '#0f0', accent: '#123abc' },
  features: {
    whatsapp: true,
    homeVisit: false,
    analytics: true,
    customTemplates: false,
    multiStaff: true,
  },
  subscription: { plan: 'premium', status: 'suspended', expiresAt: T + 86_400_000 },
};

/** Bodies the two paths must judge identically: every shape, every rule, valid and not. */
const TABLE: [string, Record<string, unknown>][] = [
  ['legacy', { emoji: '🍕', createdAt: T }],
  ['legacy with subdomain', { emoji: '🍕', createdAt: T, subdomain: 'T3-ABC' }],
  ['legacy, ZWJ emoji', { emoji: '👨‍👩‍👧', createdAt: T }],
  ['legacy, createdAt as digits', { emoji: '🍕', createdAt: '1700000000000' }],
  ['legacy, createdAt as ISO', { emoji: '🍕', createdAt: '2023-11-14T22:13:20.000Z' }],
  ['legacy, createdAt float', { emoji: '🍕', createdAt: 1.5 }],
  ['legacy, createdAt negative', { emoji: '🍕', createdAt: -1 }],
  ['legacy, createdAt 9e15', { emoji: '🍕', createdAt: 9e15 }],
  ['legacy, createdAt word', { emoji: '🍕', createdAt: 'yesterday' }],
  ['legacy, emoji number', { emoji: 42, createdAt: 'yesterday' }],
  ['legacy, emoji word', { emoji: 'pizza', createdAt: T }],
  ['legacy, emoji padded', { emoji: ' 🍕 ', createdAt: T }],
  ['legacy, no emoji', { createdAt: T }],
  ['legacy, null emoji', { emoji: null, createdAt: T }],
  ['empty object', {}],
  ['legacy, subdomain mismatch', { emoji: '🍕', createdAt: T, subdomain: 'other' }],
  ['legacy, subdomain not a string', { emoji: '🍕', createdAt: T, subdomain: 7 }],
  ['unknown key', { emoji: '🍕', createdAt: T, foo: 1 }],
  [
    '__proto__ key',
    JSON.parse('{"emoji":"🍕","createdAt":1700000000000,"__proto__":{"x":1}}') as Record<
      string,
      unknown
    >,
  ],
  ['constructor key', { emoji: '🍕', createdAt: T, constructor: 'x' }],
  ['seed enhanced', seedEnhanced],
  ['every field', full],
  ['enhanced, partial', { emoji: '🍕', createdAt: T, businessName: 'Only a name' }],
  [
    'enhanced, nulls',
    {
      ...seedEnhanced,
      email: null,
      phone: null,
      features: null,
      subscription: null,
      brandColors: null,
      id: null,
    },
  ],
  [
    'enhanced, empty strings',
    {
      ...seedEnhanced,
      email: '',
      phone: '',
      businessName: '',
      businessCategory: '',
      logo: '',
      id: '',
    },
  ],
  ['enhanced, numeric id', { ...seedEnhanced, id: 3 }],
  [
    'enhanced, markup and RTL',
    { ...seedEnhanced, businessName: '<script>alert(1)</script>مطعم', ownerName: 'דנה\u200B' },
  ],
  ['enhanced, SQL-looking name', { ...seedEnhanced, businessName: "x'; drop table tenants;--" }],
  ['enhanced, local phone (GB region)', { ...seedEnhanced, phone: '020 7946 0958' }],
  [
    'enhanced, every field bad',
    {
      id: true,
      subdomain: 'elsewhere',
      emoji: '🍕🍕',
      createdAt: 1.5,
      businessName: 'x'.repeat(121),
      businessCategory: 'bakery',
      businessDescription: 7,
      ownerName: ['o'],
      email: 'a@b..c',
      phone: '12',
      address: 'a'.repeat(301),
      logo: 'javascript:alert(1)',
      brandColors: { primary: 'red', glow: '#fff' },
      features: { whatsapp: 'yes', chat: true },
      subscription: { plan: 'gold', status: 'paused', expiresAt: 'soon', extra: 1 },
      password: 'hunter2',
    },
  ],
  [
    'enhanced, expired before creation',
    { ...seedEnhanced, subscription: { plan: 'basic', status: 'active', expiresAt: T - 1 } },
  ],
  [
    'enhanced, expiry as ISO',
    { ...seedEnhanced, subscription: { status: 'active', expiresAt: '2024-01-01T00:00:00Z' } },
  ],
  [
    'enhanced, brandColors as a JSON string',
    { ...seedEnhanced, brandColors: '{"primary":"#fff"}' },
  ],
  ['enhanced, features as array', { ...seedEnhanced, features: ['whatsapp'] }],
  [
    'enhanced, nested __proto__',
    { ...seedEnhanced, features: JSON.parse('{"__proto__":{"whatsapp":true}}') as unknown },
  ],
  ['enhanced, missing createdAt', { ...seedEnhanced, createdAt: undefined }],
];

describe('validateBodyWithDtos (class-validator path) gives the same verdicts as validateBody (fast path)', () => {
  for (const [name, body] of TABLE) {
    it(name, () => {
      const fast = validateBody(body, ctx);
      const dto = validateBodyWithDtos(body, ctx);
      assert.deepStrictEqual(dto, fast);
    });
  }

  it('the table exercises both verdicts and both formats', () => {
    const verdicts = TABLE.map(([, body]) => validateBody(body, ctx));
    assert.ok(verdicts.some((v) => v.ok && v.format === 'legacy'));
    assert.ok(verdicts.some((v) => v.ok && v.format === 'enhanced'));
    assert.ok(verdicts.some((v) => !v.ok && v.format === 'legacy'));
    assert.ok(verdicts.some((v) => !v.ok && v.format === 'enhanced'));
  });

  it('reports every problem of a fully broken record', () => {
    const verdict = validateBodyWithDtos(
      TABLE.find(([n]) => n === 'enhanced, every field bad')![1],
      ctx,
    );
    assert.ok(!verdict.ok);
    assert.deepEqual(
      verdict.reasons.map((r) => `${r.field}:${r.code}`),
      [
        'id:invalid-type',
        'subdomain:subdomain-mismatch',
        'emoji:invalid-emoji',
        'createdAt:timestamp-not-integer',
        'businessName:text-too-long',
        'businessCategory:invalid-category',
        'businessDescription:invalid-type',
        'ownerName:invalid-type',
        'email:invalid-email',
        'phone:invalid-phone',
        'address:text-too-long',
        'logo:invalid-url',
        'brandColors.glow:unknown-field',
        'brandColors.primary:invalid-color',
        'features.chat:unknown-field',
        'features.whatsapp:invalid-type',
        'subscription.expiresAt:timestamp-unparseable',
        'subscription.extra:unknown-field',
        'subscription.plan:invalid-plan',
        'subscription.status:invalid-status',
        'password:unknown-field',
      ],
    );
  });
});

describe('the DTOs on their own (e.g. behind a ValidationPipe)', () => {
  it('validate with the default settings and report through class-validator', () => {
    const ok = plainToInstance(TenantEnhancedDto, seedEnhanced);
    assert.deepEqual(validateSync(ok, { whitelist: true, forbidNonWhitelisted: true }), []);

    const bad = plainToInstance(TenantEnhancedDto, { ...seedEnhanced, email: 'a@b..c', extra: 1 });
    const errors = validateSync(bad, { whitelist: true, forbidNonWhitelisted: true });
    assert.deepEqual(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})]).sort(), [
      ['email', ['tenantField']],
      ['extra', ['whitelistValidation']],
    ]);
    assert.match(
      errors.find((e) => e.property === 'email')?.constraints?.tenantField ?? '',
      /not an email address/,
    );
  });
});
