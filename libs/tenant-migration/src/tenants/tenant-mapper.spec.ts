import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { TenantValidator } from '../validation/tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation/validation.types.js';
import {
  sourceHashOf,
  TENANT_ID_NAMESPACE,
  tenantIdFor,
  toEnhancedValue,
  toLegacyValue,
  toTenantRecord,
  type TenantBodyValues,
} from './tenant-mapper.js';
import type { EnhancedTenant, TenantRecord } from './tenant.types.js';
import { ENHANCED_FIELDS, legacyRecord } from './tenant-record.spec-fixture.js';

const defaults = DEFAULT_VALIDATION_SETTINGS.defaults;
const T = 1700000000000;
const validator = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);

/** The EnhancedTenant part of a record (what the platform reads). */
const tenantPart = (record: TenantRecord): EnhancedTenant => {
  const { sourceId: _sourceId, sourceHash: _sourceHash, ...tenant } = record;
  return tenant;
};

describe('tenantIdFor', () => {
  it("is uuid's v5 of the name in TENANT_ID_NAMESPACE", () => {
    const names = [
      'shop',
      't0-0',
      'a',
      'a'.repeat(63),
      'a'.repeat(64),
      'a'.repeat(65),
      'x'.repeat(500),
      'café',
      '🍕'.repeat(32),
      '🍕'.repeat(33),
      '',
    ];
    for (let i = 0; i < 300; i++)
      names.push(`t${i.toString(36)}-${((i * 7919) % 100000).toString(36)}`);
    for (const name of names)
      assert.equal(tenantIdFor(name), uuidv5(name, TENANT_ID_NAMESPACE), name);
  });

  it('is a version-5 RFC 9562 UUID and never changes for a name', () => {
    assert.match(
      tenantIdFor('shop'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // pinned: a different value here means every tenant id changed
    assert.equal(tenantIdFor('shop'), uuidv5('shop', '8483fddf-0bff-5271-8f60-456a6c654b8c'));
    assert.equal(TENANT_ID_NAMESPACE, uuidv5('urn:tenant-migrate:tenant-id', uuidv5.URL));
    assert.equal(tenantIdFor('shop'), tenantIdFor('shop'));
    assert.notEqual(tenantIdFor('shop'), tenantIdFor('shop2'));
  });
});

describe('sourceHashOf', () => {
  it('is the sha256 hex of the bytes; a string is hashed as UTF-8', () => {
    const text = '{"emoji":"🍕","createdAt":1700000000000}';
    const expected = createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
    assert.equal(sourceHashOf(Buffer.from(text)), expected);
    assert.equal(sourceHashOf(text), expected);
  });
});

describe('toTenantRecord', () => {
  it('maps a legacy value: null profile, defaults, profile incomplete, no invented values', () => {
    const raw = Buffer.from('{"emoji":"🍕","createdAt":1700000000123}');
    const record = toTenantRecord(
      {
        subdomain: 'shop',
        sourceFormat: 'legacy',
        values: { emoji: '🍕', createdAt: T + 123 },
        raw,
      },
      defaults,
    );
    assert.deepEqual(
      record,
      legacyRecord({
        id: tenantIdFor('shop'),
        subdomain: 'shop',
        emoji: '🍕',
        createdAt: T + 123,
        sourceHash: sourceHashOf(raw),
      }),
    );
    assert.notEqual(record.features, defaults.features); // a copy, never the shared defaults
  });

  it('ignores profile values on a legacy source', () => {
    const values = {
      emoji: '🍕',
      createdAt: T,
      email: 'a@example.com',
      businessName: 'x',
    } as TenantBodyValues;
    const record = toTenantRecord(
      { subdomain: 'shop', sourceFormat: 'legacy', values, raw: '' },
      defaults,
    );
    assert.equal(record.email, null);
    assert.equal(record.businessName, null);
  });

  const enhanced: TenantBodyValues = {
    id: 'ten_1',
    emoji: '🌮',
    createdAt: T,
    businessName: 'Business 1',
    businessCategory: 'Food & Beverage',
    ownerName: 'Owner 1',
    email: 'owner1@example.com',
    phone: '+15550000001',
    brandColors: { primary: '#fff' },
    features: { analytics: true },
    subscription: { plan: 'premium', status: null, expiresAt: T + 1 },
  };

  it('maps an enhanced value: partial features and subscription fall back to the defaults', () => {
    const record = toTenantRecord(
      { subdomain: 'shop', sourceFormat: 'enhanced', values: enhanced, raw: 'raw' },
      defaults,
    );
    assert.equal(record.sourceId, 'ten_1');
    assert.equal(record.id, tenantIdFor('shop'));
    assert.deepEqual(record.features, {
      whatsapp: false,
      homeVisit: false,
      analytics: true,
      customTemplates: false,
      multiStaff: false,
    });
    assert.deepEqual(record.subscription, { plan: 'premium', status: 'active', expiresAt: T + 1 });
    assert.deepEqual(record.brandColors, { primary: '#fff' });
    assert.equal(typeof record.brandColors, 'object');
    assert.equal(record.businessDescription, null);
    assert.equal(record.profileComplete, true);
  });

  const incomplete: [string, Partial<TenantBodyValues>][] = [
    ['businessName', { businessName: null }],
    ['ownerName', { ownerName: undefined }],
    ['email', { email: null }],
    ['phone', { phone: null }],
  ];
  for (const [field, change] of incomplete) {
    it(`marks the profile incomplete without ${field}`, () => {
      const record = toTenantRecord(
        { subdomain: 's', sourceFormat: 'enhanced', values: { ...enhanced, ...change }, raw: '' },
        defaults,
      );
      assert.equal(record.profileComplete, false);
      assert.equal(record[field as 'email'], null);
    });
  }
});

describe('toLegacyValue', () => {
  it('writes exactly the legacy JSON, so a legacy value round-trips to the same hash', () => {
    const raw = JSON.stringify({ emoji: '🚀', createdAt: 1700012345678 }); // as the legacy app wrote it
    const result = validator.validateValue('subdomain:t0-0', 't0-0', Buffer.from(raw));
    assert.ok(result.ok);
    const written = toLegacyValue(result.record);
    assert.equal(written, raw);
    const again = validator.validateValue('subdomain:t0-0', 't0-0', Buffer.from(written));
    assert.ok(again.ok);
    assert.deepStrictEqual(again.record, result.record);
  });
});

describe('toEnhancedValue', () => {
  const sources: [string, unknown][] = [
    [
      'a seeded enhanced value',
      {
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
      },
    ],
    [
      'a value with every field',
      {
        id: 'x',
        emoji: '👨‍👩‍👧',
        createdAt: T,
        businessName: 'مطعم',
        businessCategory: 'Healthcare',
        businessDescription: 'Line 1\nLine 2',
        ownerName: 'דנה',
        email: 'a@example.com',
        phone: '+442079460958',
        address: '1 Road',
        logo: 'https://example.com/l.png',
        brandColors: { primary: '#123456', secondary: '#abc', accent: '#000' },
        features: {
          whatsapp: true,
          homeVisit: true,
          analytics: true,
          customTemplates: true,
          multiStaff: true,
        },
        subscription: { plan: 'enterprise', status: 'cancelled', expiresAt: T + 1 },
      },
    ],
    ['a sparse enhanced value', { emoji: '🍕', createdAt: T, businessName: 'Only name' }],
  ];
  for (const [what, source] of sources) {
    it(`round-trips ${what} through validateValue to an equal tenant`, () => {
      const first = validator.validateValue(
        'subdomain:t3-abc',
        't3-abc',
        Buffer.from(JSON.stringify(source)),
      );
      assert.ok(first.ok);
      const written = toEnhancedValue(first.record);
      const second = validator.validateValue('subdomain:t3-abc', 't3-abc', Buffer.from(written));
      assert.ok(second.ok, JSON.stringify(second));
      assert.deepStrictEqual(second.notes, []); // already canonical: nothing to coerce
      assert.deepStrictEqual(tenantPart(second.record), tenantPart(first.record));
      assert.equal(second.record.sourceId, first.record.id); // the value carries the tenant's own id
      assert.equal(second.record.sourceHash, sourceHashOf(written));
    });
  }

  it('writes every field, nulls included, in a fixed order', () => {
    const result = validator.validateValue(
      'subdomain:shop',
      'shop',
      Buffer.from(JSON.stringify({ emoji: '🍕', createdAt: T })),
    );
    assert.ok(result.ok);
    assert.deepEqual(
      Object.keys(JSON.parse(toEnhancedValue(result.record)) as object),
      ENHANCED_FIELDS,
    );
  });
});
