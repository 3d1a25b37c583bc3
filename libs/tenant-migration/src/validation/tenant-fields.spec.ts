import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OutcomeReason } from '../common/outcome-reason.js';
import { ENHANCED_FIELDS } from '../tenants/tenant-record.spec-fixture.js';
import { reason } from './reasons.js';
import {
  detectSourceFormat,
  type FieldContext,
  runField,
  sortReasons,
  specOf,
  TENANT_FIELD_SPECS,
} from './tenant-fields.js';
import { DEFAULT_VALIDATION_SETTINGS } from './validation.types.js';

const ctx: FieldContext = {
  createdAtRange: DEFAULT_VALIDATION_SETTINGS.createdAtRange,
  defaultPhoneRegion: undefined,
  keySubdomain: 'shop',
};

describe('TENANT_FIELD_SPECS', () => {
  it('lists every field of the enhanced format once; emoji and createdAt are required', () => {
    assert.deepEqual(
      TENANT_FIELD_SPECS.map((s) => s.name),
      ENHANCED_FIELDS,
    );
    assert.deepEqual(
      TENANT_FIELD_SPECS.filter((s) => s.required).map((s) => s.name),
      ['emoji', 'createdAt'],
    );
  });

  it('specOf throws for a name that is not a field', () => {
    assert.equal(specOf('email').name, 'email');
    assert.throws(() => specOf('password'), /not a tenant field/);
  });
});

describe('runField', () => {
  const cases: [string, unknown, string | null][] = [
    ['emoji', undefined, 'missing-field'],
    ['emoji', null, 'missing-field'],
    ['createdAt', null, 'missing-field'],
    ['email', undefined, null],
    ['email', null, null],
    ['features', null, null],
    ['subscription', undefined, null],
  ];
  for (const [field, value, code] of cases) {
    it(`${field} = ${String(value)} -> ${code ?? 'absent'}`, () => {
      const outcome = runField(specOf(field), value, {}, ctx);
      if (code === null) assert.deepEqual(outcome, { ok: true, value: null, notes: [] });
      else
        assert.deepEqual(outcome.ok ? [] : outcome.reasons.map((r) => [r.code, r.field]), [
          [code, field],
        ]);
    });
  }

  it('gives cross-field rules the whole record', () => {
    const record = { createdAt: 1700000000000, subscription: { expiresAt: 1600000000000 } };
    const outcome = runField(specOf('subscription'), record.subscription, record, ctx);
    assert.deepEqual(outcome.ok ? [] : outcome.reasons.map((r) => r.code), [
      'expires-before-created',
    ]);
  });
});

describe('detectSourceFormat', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ emoji: '🍕', createdAt: 1 }, 'legacy'],
    [{ emoji: '🍕' }, 'legacy'],
    [{}, 'legacy'],
    [{ emoji: '🍕', createdAt: 1, subdomain: 'shop' }, 'legacy'], // the spec's legacy interface lists subdomain
    [{ emoji: '🍕', createdAt: 1, businessName: 'x' }, 'enhanced'],
    [{ emoji: '🍕', createdAt: 1, id: 'x' }, 'enhanced'],
    [{ emoji: '🍕', createdAt: 1, foo: 1 }, 'enhanced'], // any other key
  ];
  for (const [body, format] of cases)
    it(`${JSON.stringify(body)} is ${format}`, () =>
      assert.equal(detectSourceFormat(body), format));
});

describe('sortReasons', () => {
  it('orders by field table order, unknown fields last, then path and code', () => {
    const reasons: OutcomeReason[] = [
      reason('unknown-field', 'm', 'zzz'),
      reason('invalid-plan', 'm', 'subscription.plan'),
      reason('unknown-field', 'm', 'subscription.a'),
      reason('invalid-email', 'm', 'email'),
      reason('invalid-json', 'm'),
      reason('invalid-emoji', 'm', 'emoji'),
      reason('unknown-field', 'm', 'aaa'),
    ];
    assert.deepEqual(
      sortReasons(reasons).map((r) => r.field ?? '-'),
      ['-', 'emoji', 'email', 'subscription.a', 'subscription.plan', 'aaa', 'zzz'],
    );
  });
});
