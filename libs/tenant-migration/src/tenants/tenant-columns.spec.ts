import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getMetadataArgsStorage } from 'typeorm';
import {
  COMPARED_COLUMNS,
  EPOCH_MS_COLUMNS,
  IDENTITY_COLUMNS,
  LEGACY_AND_PROVENANCE_COLUMNS,
  LEGACY_COMPARED_COLUMNS,
  TENANT_COLUMN_TABLE,
  TENANT_COLUMNS,
  TENANT_TABLE_COLUMNS,
  tenantColumnValues,
  UPDATABLE_COLUMNS,
  type TenantColumnProperty,
} from './tenant-columns.js';
import { TenantEntity } from './tenant.entity.js';
import { TENANT_ROW_SELECT, type TenantRow, type TenantRowColumnName } from './tenant-row.js';
import type { TenantRecord } from './tenant.types.js';
import { enhancedRecord } from './tenant-record.spec-fixture.js';

/** True only when A and B are the same set of names (a compile error otherwise, below). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Salon with an owner, multi-staff on, an expiring subscription and a complete profile. */
const record: TenantRecord = enhancedRecord({
  ownerName: 'Élise',
  features: {
    whatsapp: true,
    homeVisit: false,
    analytics: true,
    customTemplates: false,
    multiStaff: true,
  },
  subscription: { plan: 'premium', status: 'active', expiresAt: 1799999999000 },
  profileComplete: true,
});

describe('the tenant column table', () => {
  it('keeps the COPY, staging and parameter order of the tenants columns', () => {
    assert.deepEqual(TENANT_COLUMNS, [
      'id',
      'subdomain',
      'emoji',
      'created_at',
      'business_name',
      'business_category',
      'business_description',
      'owner_name',
      'email',
      'phone',
      'address',
      'logo',
      'brand_colors',
      'feature_whatsapp',
      'feature_home_visit',
      'feature_analytics',
      'feature_custom_templates',
      'feature_multi_staff',
      'subscription_plan',
      'subscription_status',
      'subscription_expires_at',
      'profile_complete',
      'source_format',
      'source_id',
      'source_key',
      'source_hash',
    ]);
    assert.deepEqual(TENANT_TABLE_COLUMNS, [...TENANT_COLUMNS, 'migrated_at', 'updated_at']);
  });

  it('maps a record and its key to the parameters, column by column', () => {
    const values = tenantColumnValues({ key: 'subdomain:Salon', record });
    const at = (column: string) => values[TENANT_COLUMNS.indexOf(column as never)];
    assert.equal(values.length, TENANT_COLUMNS.length);
    assert.equal(at('created_at'), 1712345678901);
    assert.equal(at('brand_colors'), '{"primary":"#112233"}');
    assert.equal(at('feature_multi_staff'), true);
    assert.equal(at('subscription_expires_at'), 1799999999000);
    assert.equal(at('source_key'), 'subdomain:Salon');
    assert.equal(at('source_hash'), record.sourceHash);
    assert.equal(
      tenantColumnValues({ key: 'k', record: { ...record, brandColors: null } })[
        TENANT_COLUMNS.indexOf('brand_colors')
      ],
      null,
    );
  });

  it('derives what the merge, the updates and the integrity check use', () => {
    assert.deepEqual([...EPOCH_MS_COLUMNS], ['created_at', 'subscription_expires_at']);
    assert.deepEqual([...IDENTITY_COLUMNS], ['id', 'subdomain']);
    assert.deepEqual(
      [...LEGACY_AND_PROVENANCE_COLUMNS],
      ['emoji', 'created_at', 'source_format', 'source_id', 'source_key', 'source_hash'],
    );
    assert.deepEqual(
      UPDATABLE_COLUMNS,
      TENANT_COLUMNS.filter((c) => !['id', 'subdomain'].includes(c) && !c.startsWith('source_')),
    );
    assert.deepEqual(COMPARED_COLUMNS, [
      ['emoji', 'emoji', 'value'],
      ['createdAt', 'created_at', 'epoch-ms'],
      ['businessName', 'business_name', 'value'],
      ['businessCategory', 'business_category', 'value'],
      ['businessDescription', 'business_description', 'value'],
      ['ownerName', 'owner_name', 'value'],
      ['email', 'email', 'value'],
      ['phone', 'phone', 'value'],
      ['address', 'address', 'value'],
      ['logo', 'logo', 'value'],
      ['brandColors', 'brand_colors', 'value'],
      ['features.whatsapp', 'feature_whatsapp', 'value'],
      ['features.homeVisit', 'feature_home_visit', 'value'],
      ['features.analytics', 'feature_analytics', 'value'],
      ['features.customTemplates', 'feature_custom_templates', 'value'],
      ['features.multiStaff', 'feature_multi_staff', 'value'],
      ['subscription.plan', 'subscription_plan', 'value'],
      ['subscription.status', 'subscription_status', 'value'],
      ['subscription.expiresAt', 'subscription_expires_at', 'epoch-ms'],
      ['profileComplete', 'profile_complete', 'value'],
    ]);
    assert.deepEqual(LEGACY_COMPARED_COLUMNS, COMPARED_COLUMNS.slice(0, 2));
  });

  it('selects exactly the names a TenantRow has', () => {
    const sameNames: Same<keyof TenantRow, TenantRowColumnName | 'changed_in_postgres'> = true;
    assert.ok(sameNames);
    const selected = TENANT_ROW_SELECT.split(/,\s*(?![^(]*\))/).map((item) =>
      item
        .trim()
        .split(/\s+AS\s+/i)
        .at(-1),
    );
    assert.deepEqual(selected, [
      ...TENANT_COLUMN_TABLE.flatMap((c) => {
        if (!('row' in c)) return [c.name];
        return c.row === false ? [] : [c.row];
      }),
      'changed_in_postgres',
    ]);
    assert.match(
      TENANT_ROW_SELECT,
      /\(extract\(epoch FROM created_at\) \* 1000\)::bigint::text AS created_ms/,
    );
  });

  it('gives the entity one column per property, as the table declares it', () => {
    const sameProperties: Same<keyof TenantEntity, TenantColumnProperty> = true;
    assert.ok(sameProperties);
    assert.deepEqual(
      Object.keys(new TenantEntity()),
      TENANT_COLUMN_TABLE.map((c) => c.property),
    );
    const storage = getMetadataArgsStorage();
    const columns = storage.columns.filter((c) => c.target === TenantEntity);
    assert.deepEqual(
      columns.map((c) => c.propertyName),
      TENANT_COLUMN_TABLE.map((c) => c.property),
    );
    for (const [i, c] of columns.entries()) {
      const spec = TENANT_COLUMN_TABLE[i];
      assert.equal(c.mode, 'regular');
      assert.equal(c.options.name ?? c.propertyName, spec.name);
      assert.equal(c.options.type, spec.type);
      assert.equal(c.options.nullable ?? false, 'nullable' in spec);
      assert.equal(
        String(c.options.default),
        String('default' in spec ? spec.default : undefined),
        spec.name,
      );
      assert.equal(c.options.primary ?? false, 'primary' in spec, spec.name);
    }
    const indices = storage.indices.filter((i) => i.target === TenantEntity);
    assert.deepEqual(
      indices.map((i) => [i.name, i.columns, i.unique]),
      [['tenants_subdomain_key', ['subdomain'], true]],
    );
  });
});
