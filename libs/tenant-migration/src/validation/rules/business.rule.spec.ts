import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUSINESS_CATEGORIES } from '../../tenants/tenant.types.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation.types.js';
import {
  checkBrandColors,
  checkCategory,
  checkFeatures,
  checkPlan,
  checkStatus,
  checkSubscription,
} from './business.rule.js';
import type { RuleOutcome } from './rule-outcome.js';

const range = DEFAULT_VALIDATION_SETTINGS.createdAtRange;
const CREATED = 1700000000000;

const reasonsOf = (outcome: RuleOutcome<unknown>): [string, string | undefined][] =>
  outcome.ok ? [] : outcome.reasons.map((r) => [r.code, r.field]);
const notesOf = (outcome: RuleOutcome<unknown>): string[] =>
  outcome.ok ? outcome.notes.map((n) => n.code) : [];

describe('checkCategory', () => {
  for (const category of BUSINESS_CATEGORIES) {
    it(`accepts "${category}" as it is`, () =>
      assert.deepEqual(checkCategory(category), { ok: true, value: category, notes: [] }));
  }

  const mapped: [string, string][] = [
    ['restaurant', 'Food & Beverage'],
    ['food', 'Food & Beverage'],
    ['beauty', 'Beauty & Wellness'],
    ['fitness', 'Fitness & Sports'],
    ['services', 'Professional Services'],
    ['retail', 'Other'],
    ['other', 'Other'],
    ['Restaurant', 'Food & Beverage'],
    ['food & beverage', 'Food & Beverage'],
    ['HEALTHCARE', 'Healthcare'],
    [' home services ', 'Home Services'],
  ];
  for (const [value, category] of mapped) {
    it(`maps ${JSON.stringify(value)} to "${category}" with a note`, () => {
      const outcome = checkCategory(value);
      assert.ok(outcome.ok);
      assert.equal(outcome.value, category);
      assert.deepEqual(notesOf(outcome), ['mapped-category']);
    });
  }

  it('treats an empty category as absent', () => {
    const outcome = checkCategory('');
    assert.ok(outcome.ok);
    assert.equal(outcome.value, null);
    assert.deepEqual(notesOf(outcome), ['empty-value']);
  });

  const rejected: [unknown, string][] = [
    ['bakery', 'invalid-category'],
    ['Food and Beverage', 'invalid-category'],
    [3, 'invalid-type'],
  ];
  for (const [value, code] of rejected) {
    it(`rejects ${JSON.stringify(value)} with ${code}`, () =>
      assert.deepEqual(reasonsOf(checkCategory(value)), [[code, 'businessCategory']]));
  }
});

describe('checkPlan / checkStatus', () => {
  const cases: [(v: unknown) => RuleOutcome<unknown>, unknown, string | [string, string]][] = [
    [checkPlan, 'basic', 'basic'],
    [checkPlan, 'premium', 'premium'],
    [checkPlan, 'enterprise', 'enterprise'],
    [checkPlan, 'Basic', ['invalid-plan', 'subscription.plan']],
    [checkPlan, 'gold', ['invalid-plan', 'subscription.plan']],
    [checkPlan, 1, ['invalid-type', 'subscription.plan']],
    [checkStatus, 'active', 'active'],
    [checkStatus, 'suspended', 'suspended'],
    [checkStatus, 'cancelled', 'cancelled'],
    [checkStatus, 'canceled', ['invalid-status', 'subscription.status']],
    [checkStatus, 'expired', ['invalid-status', 'subscription.status']],
  ];
  for (const [check, value, expected] of cases) {
    it(`${check.name}(${JSON.stringify(value)})`, () => {
      const outcome = check(value);
      if (typeof expected === 'string')
        assert.deepEqual(outcome, { ok: true, value: expected, notes: [] });
      else assert.deepEqual(reasonsOf(outcome), [expected]);
    });
  }
});

describe('checkSubscription', () => {
  const accepted: [unknown, object, string[]][] = [
    [{ plan: 'basic', status: 'active' }, { plan: 'basic', status: 'active', expiresAt: null }, []], // the seed shape
    [{}, { plan: null, status: null, expiresAt: null }, []],
    [{ plan: 'premium' }, { plan: 'premium', status: null, expiresAt: null }, []],
    [
      { plan: null, status: null, expiresAt: null },
      { plan: null, status: null, expiresAt: null },
      [],
    ],
    [{ expiresAt: CREATED + 1 }, { plan: null, status: null, expiresAt: CREATED + 1 }, []],
    [
      { status: 'active', expiresAt: '2024-01-01T00:00:00Z' },
      { plan: null, status: 'active', expiresAt: Date.UTC(2024, 0, 1) },
      ['coerced-expires-at'],
    ],
    // an active subscription that expired long before "now" is still valid: no clock is read
    [
      { status: 'active', expiresAt: Date.UTC(2024, 0, 1) },
      { plan: null, status: 'active', expiresAt: Date.UTC(2024, 0, 1) },
      [],
    ],
  ];
  for (const [value, expected, notes] of accepted) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      const outcome = checkSubscription(value, CREATED, range);
      assert.ok(outcome.ok);
      assert.deepEqual(outcome.value, expected);
      assert.deepEqual(notesOf(outcome), notes);
    });
  }

  const rejected: [unknown, [string, string][]][] = [
    [{ expiresAt: CREATED }, [['expires-before-created', 'subscription.expiresAt']]],
    [{ expiresAt: CREATED - 1 }, [['expires-before-created', 'subscription.expiresAt']]],
    [{ expiresAt: 1.5 }, [['timestamp-not-integer', 'subscription.expiresAt']]],
    [{ expiresAt: 'soon' }, [['timestamp-unparseable', 'subscription.expiresAt']]],
    [
      { plan: 'gold', status: 'paused', expiresAt: -1, renews: true },
      [
        ['unknown-field', 'subscription.renews'],
        ['invalid-plan', 'subscription.plan'],
        ['invalid-status', 'subscription.status'],
        ['timestamp-out-of-range', 'subscription.expiresAt'],
      ],
    ],
    ['basic', [['invalid-type', 'subscription']]],
    [[{ plan: 'basic' }], [['invalid-type', 'subscription']]],
  ];
  for (const [value, expected] of rejected) {
    it(`rejects ${JSON.stringify(value)}`, () =>
      assert.deepEqual(reasonsOf(checkSubscription(value, CREATED, range)), expected));
  }

  it('skips the expiry comparison when createdAt is itself invalid', () => {
    const outcome = checkSubscription({ expiresAt: CREATED - 1 }, undefined, range);
    assert.ok(outcome.ok);
    assert.equal(outcome.value.expiresAt, CREATED - 1);
  });
});

describe('checkFeatures', () => {
  const accepted: [unknown, object][] = [
    [
      { whatsapp: true, analytics: true },
      { whatsapp: true, analytics: true },
    ], // partial, as in the seed
    [{}, {}],
    [
      {
        whatsapp: false,
        homeVisit: true,
        analytics: false,
        customTemplates: true,
        multiStaff: false,
      },
      {
        whatsapp: false,
        homeVisit: true,
        analytics: false,
        customTemplates: true,
        multiStaff: false,
      },
    ],
    [{ whatsapp: null, homeVisit: true }, { homeVisit: true }], // null flag = default
  ];
  for (const [value, expected] of accepted) {
    it(`accepts ${JSON.stringify(value)}`, () =>
      assert.deepEqual(checkFeatures(value), { ok: true, value: expected, notes: [] }));
  }

  const rejected: [unknown, [string, string][]][] = [
    [{ whatsapp: 'yes' }, [['invalid-type', 'features.whatsapp']]],
    [{ analytics: 1 }, [['invalid-type', 'features.analytics']]],
    [{ chat: true }, [['unknown-field', 'features.chat']]],
    [JSON.parse('{"__proto__": {"polluted": true}}'), [['unknown-field', 'features.__proto__']]],
    [['whatsapp'], [['invalid-type', 'features']]],
    [true, [['invalid-type', 'features']]],
  ];
  for (const [value, expected] of rejected) {
    it(`rejects ${JSON.stringify(value)}`, () =>
      assert.deepEqual(reasonsOf(checkFeatures(value)), expected));
  }

  it('never lets a __proto__ key reach the result', () => {
    const outcome = checkFeatures(
      JSON.parse('{"whatsapp": true, "__proto__": {"multiStaff": true}}'),
    );
    assert.ok(!outcome.ok);
    assert.equal(({} as Record<string, unknown>).multiStaff, undefined);
  });
});

describe('checkBrandColors', () => {
  const accepted: [unknown, object][] = [
    [
      { primary: '#ff0000', secondary: '#0F0', accent: '#123abc' },
      { primary: '#ff0000', secondary: '#0F0', accent: '#123abc' },
    ],
    [{ primary: '#fff' }, { primary: '#fff' }],
    [{}, {}],
    [{ primary: '#000000', accent: null }, { primary: '#000000' }],
  ];
  for (const [value, expected] of accepted) {
    it(`accepts ${JSON.stringify(value)}`, () =>
      assert.deepEqual(checkBrandColors(value), { ok: true, value: expected, notes: [] }));
  }

  const rejected: [unknown, [string, string][]][] = [
    [{ primary: 'red' }, [['invalid-color', 'brandColors.primary']]],
    [{ primary: '#ff00' }, [['invalid-color', 'brandColors.primary']]],
    [{ primary: '#ff0000ff' }, [['invalid-color', 'brandColors.primary']]],
    [{ primary: 'ff0000' }, [['invalid-color', 'brandColors.primary']]],
    [{ secondary: 16711680 }, [['invalid-color', 'brandColors.secondary']]],
    [{ background: '#fff' }, [['unknown-field', 'brandColors.background']]],
    ['{"primary":"#fff"}', [['invalid-type', 'brandColors']]], // a JSON string is not an object
  ];
  for (const [value, expected] of rejected) {
    it(`rejects ${JSON.stringify(value)}`, () =>
      assert.deepEqual(reasonsOf(checkBrandColors(value)), expected));
  }
});
