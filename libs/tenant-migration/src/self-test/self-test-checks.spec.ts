import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TenantValidator } from '../validation/tenant-validator.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation/validation.types.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import {
  comparedFieldsFor,
  legacyRoundTrip,
  legacyViewOf,
  tenantDifferences,
  tenantOf,
} from './self-test-checks.js';

const validator = new TenantValidator(DEFAULT_VALIDATION_SETTINGS);
const T = 1700000000000;
const accept = (value: string, sub = 'pizza'): { record: TenantRecord; notes: OutcomeReason[] } => {
  const result = validator.validateValue(`subdomain:${sub}`, sub, Buffer.from(value));
  assert.ok(result.ok, value);
  return result;
};

describe('legacyRoundTrip', () => {
  it('is identical for a canonical legacy value', () => {
    const value = JSON.stringify({ emoji: '🍕', createdAt: T });
    const { record, notes } = accept(value);
    assert.deepEqual(legacyRoundTrip(Buffer.from(value), record, notes), { outcome: 'identical' });
  });

  it('is equal for another layout or an enhanced value with the same emoji and createdAt', () => {
    const spaced = `{ "createdAt": ${T}, "emoji": "🍕" }`;
    const a = accept(spaced);
    assert.deepEqual(legacyRoundTrip(spaced, a.record, a.notes), { outcome: 'equal' });
    const enhanced = JSON.stringify({ emoji: '🍕', createdAt: T, businessName: 'Pizza Place' });
    const b = accept(enhanced);
    assert.deepEqual(legacyRoundTrip(enhanced, b.record, b.notes), { outcome: 'equal' });
  });

  it('is normalized when validation notes explain the change (trimmed emoji, createdAt string)', () => {
    const value = JSON.stringify({ emoji: ' 🍕 ', createdAt: String(T) });
    const { record, notes } = accept(value);
    const trip = legacyRoundTrip(value, record, notes);
    assert.equal(trip.outcome, 'normalized');
    assert.ok('detail' in trip);
    assert.match(trip.detail, /emoji " 🍕 " -> "🍕", createdAt "1700000000000" -> 1700000000000/);
  });

  it('is a mismatch when the mapping changed emoji or createdAt for no stated reason', () => {
    const value = JSON.stringify({ emoji: '🍕', createdAt: T });
    const { record } = accept(value);
    const trip = legacyRoundTrip(value, { ...record, createdAt: T + 1 }, []);
    assert.equal(trip.outcome, 'mismatch');
    assert.ok('detail' in trip);
    assert.match(trip.detail, /createdAt 1700000000000 -> 1700000000001/);
    assert.equal(legacyRoundTrip('not json', record, []).outcome, 'mismatch');
  });
});

describe('tenantDifferences', () => {
  const { record } = accept(
    JSON.stringify({
      emoji: '🍕',
      createdAt: T,
      businessName: 'Pizza',
      brandColors: { primary: '#fff', accent: '#000' },
    }),
  );
  const tenant = tenantOf(record);

  it('is empty for equal tenants, whatever the key order of jsonb objects', () => {
    assert.deepEqual(
      tenantDifferences(tenant, { ...tenant, brandColors: { accent: '#000', primary: '#fff' } }),
      [],
    );
    assert.equal('sourceHash' in tenant, false);
    assert.equal('sourceId' in tenant, false);
  });

  it('lists every differing field with both values', () => {
    const other = { ...tenant, emoji: '🍔', features: { ...tenant.features, whatsapp: true } };
    const differences = tenantDifferences(tenant, other);
    assert.equal(differences.length, 2);
    assert.equal(differences[0], 'emoji: "🍕" / "🍔"');
    assert.match(differences[1], /^features: \{.*"whatsapp":false\} \/ \{.*"whatsapp":true\}$/);
  });
});

describe('comparedFieldsFor', () => {
  it('compares a legacy record on what it carries: a profile added in PostgreSQL is not drift', () => {
    const { record } = accept(JSON.stringify({ emoji: '🍕', createdAt: T }));
    const tenant = tenantOf(record);
    const profiled = {
      ...tenant,
      businessName: 'Added in PostgreSQL',
      email: 'owner@example.com',
      features: { ...tenant.features, whatsapp: true },
    };
    assert.deepEqual(tenantDifferences(tenant, profiled, comparedFieldsFor('legacy')), []);
    assert.deepEqual(
      tenantDifferences(tenant, { ...profiled, emoji: '🍔' }, comparedFieldsFor('legacy')),
      ['emoji: "🍕" / "🍔"'],
    );
    assert.equal(tenantDifferences(tenant, profiled, comparedFieldsFor('enhanced')).length, 3);
    assert.ok(
      comparedFieldsFor('legacy').includes('id'),
      'the stable id is compared for both formats',
    );
  });
});

describe('legacyViewOf', () => {
  it('reads what a legacy reader reads, or null when it cannot', () => {
    assert.deepEqual(legacyViewOf(JSON.stringify({ emoji: '🍕', createdAt: T, extra: 1 })), {
      emoji: '🍕',
      createdAt: T,
    });
    assert.equal(legacyViewOf('[]'), null);
    assert.equal(legacyViewOf('{'), null);
  });
});
