import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideMerge, updatePredicateSql, type ExistingTenantState } from './outcome.js';
import type { ConflictPolicy } from './migration.types.js';

const migrated = new Date('2026-01-01T00:00:00Z');
const later = new Date('2026-01-02T00:00:00Z');
const row = (over: Partial<ExistingTenantState> = {}): ExistingTenantState => ({
  sourceHash: 'h1',
  sourceKey: 'subdomain:a',
  migratedAt: migrated,
  updatedAt: migrated,
  ...over,
});
const incoming = { sourceHash: 'h2', sourceKey: 'subdomain:a' };

describe('decideMerge', () => {
  const cases: [
    string,
    ExistingTenantState | undefined,
    { sourceHash: string; sourceKey: string },
    ConflictPolicy,
    string,
  ][] = [
    ['creates a new tenant', undefined, incoming, 'keep-postgres', 'create'],
    [
      'leaves an identical source unchanged',
      row({ sourceHash: 'h2' }),
      incoming,
      'keep-postgres',
      'unchanged',
    ],
    [
      'unchanged even when PostgreSQL changed since',
      row({ sourceHash: 'h2', updatedAt: later }),
      incoming,
      'keep-postgres',
      'unchanged',
    ],
    ['updates when only Redis changed', row(), incoming, 'keep-postgres', 'update'],
    [
      'keeps PostgreSQL when it changed after migration',
      row({ updatedAt: later }),
      incoming,
      'keep-postgres',
      'skip:conflict-postgres-changed',
    ],
    [
      'keeps a row created in PostgreSQL',
      row({ sourceKey: null, migratedAt: null, sourceHash: null }),
      incoming,
      'keep-postgres',
      'skip:conflict-postgres-changed',
    ],
    [
      'overwrite wins over PostgreSQL changes',
      row({ updatedAt: later }),
      incoming,
      'overwrite',
      'update',
    ],
    [
      'overwrite adopts a row created in PostgreSQL',
      row({ sourceKey: null, migratedAt: null }),
      incoming,
      'overwrite',
      'update',
    ],
    ['skip never updates', row(), incoming, 'skip', 'skip:exists-in-postgres'],
    [
      'never takes a subdomain owned by another key',
      row({ sourceKey: 'subdomain:A' }),
      incoming,
      'overwrite',
      'reject:subdomain-conflict',
    ],
  ];
  for (const [name, existing, inc, policy, expected] of cases) {
    it(name, () => {
      const d = decideMerge(existing, inc, policy);
      const got =
        d.action === 'skip' || d.action === 'reject' ? `${d.action}:${d.reason.code}` : d.action;
      assert.equal(got, expected);
    });
  }

  it('flags only the keep-postgres skip as a conflict', () => {
    const d = decideMerge(row({ updatedAt: later }), incoming, 'keep-postgres');
    assert.ok(d.action === 'skip' && d.conflict);
    const s = decideMerge(row(), incoming, 'skip');
    assert.ok(s.action === 'skip' && !s.conflict);
  });
});

describe('updatePredicateSql', () => {
  it('qualifies the existing row with the tenants table as given (default names unchanged)', () => {
    assert.equal(
      updatePredicateSql('overwrite', 'tenants'),
      'tenants.source_hash IS DISTINCT FROM EXCLUDED.source_hash AND (tenants.source_key IS NULL OR tenants.source_key = EXCLUDED.source_key)',
    );
    assert.equal(
      updatePredicateSql('keep-postgres', 'tenants'),
      'tenants.source_hash IS DISTINCT FROM EXCLUDED.source_hash AND tenants.source_key = EXCLUDED.source_key AND tenants.migrated_at IS NOT NULL AND tenants.updated_at <= tenants.migrated_at',
    );
    assert.equal(updatePredicateSql('skip', 'tenancy.shops'), 'false');
  });

  it('names only the configured table', () => {
    for (const policy of ['overwrite', 'keep-postgres'] as const) {
      const sql = updatePredicateSql(policy, 'tenancy.shops');
      assert.doesNotMatch(sql, /(^|[^.\w])tenants\./, policy);
      assert.equal(
        sql,
        updatePredicateSql(policy, 'tenants').replaceAll('tenants.', 'tenancy.shops.'),
        policy,
      );
    }
  });
});
