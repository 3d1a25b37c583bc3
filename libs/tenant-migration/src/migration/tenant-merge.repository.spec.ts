import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyValue } from '../common/copy-text.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { tenantColumnValues, tenantCopyRow } from './tenant-merge.repository.js';

const record = (over: Partial<TenantRecord> = {}): TenantRecord => ({
  id: '8483fddf-0bff-5271-8f60-456a6c654b8c',
  subdomain: 'salon',
  emoji: '💈',
  createdAt: 1712345678901,
  businessName: 'Salon\tÉlise\\n',
  businessCategory: 'Beauty & Wellness',
  businessDescription: 'Cuts\nand colour',
  ownerName: null,
  email: 'elise@example.com',
  phone: '+33612345678',
  address: null,
  logo: null,
  brandColors: { primary: '#112233' },
  features: { whatsapp: true, homeVisit: false, analytics: true, customTemplates: false, multiStaff: false },
  subscription: { plan: 'premium', status: 'active', expiresAt: null },
  profileComplete: false,
  sourceFormat: 'enhanced',
  sourceId: 'ten_42',
  sourceHash: 'ab'.repeat(32),
  ...over,
});

/** The COPY line built generically from the parameter list, booleans as COPY writes them. */
const generic = (staged: { key: string; record: TenantRecord }): string =>
  `${tenantColumnValues(staged)
    .map((v) => copyValue(typeof v === 'boolean' ? (v ? 't' : 'f') : v))
    .join('\t')}\n`;

describe('tenant COPY line and insert parameters', () => {
  it('agree column by column, escaping included (the hand-written COPY line cannot drift)', () => {
    for (const r of [record(), record({ brandColors: null, sourceId: null, subscription: { plan: 'basic', status: 'active', expiresAt: 1799999999000 } })]) {
      const staged = { key: 'subdomain:salon', record: r };
      assert.equal(tenantCopyRow(staged), generic(staged));
    }
  });
});
