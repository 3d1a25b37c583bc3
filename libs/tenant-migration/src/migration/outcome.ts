import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ConflictPolicy } from './migration.types.js';

/** What PostgreSQL holds for a subdomain, as far as the merge decision is concerned. */
export interface ExistingTenantState {
  sourceHash: string | null;
  sourceKey: string | null;
  migratedAt: Date | null;
  updatedAt: Date;
}

export type MergeDecision =
  | { action: 'create' }
  | { action: 'update' }
  | { action: 'unchanged' }
  | { action: 'skip'; reason: OutcomeReason; conflict: boolean }
  | { action: 'reject'; reason: OutcomeReason };

/**
 * Decides what one migrated record does to PostgreSQL. Pure, so the real run and the dry
 * run decide identically; the real run re-checks the same predicate in SQL against rows it
 * did not lock.
 */
export const decideMerge = (
  existing: ExistingTenantState | undefined,
  incoming: { sourceHash: string; sourceKey: string },
  policy: ConflictPolicy,
): MergeDecision => {
  if (!existing) return { action: 'create' };
  if (existing.sourceKey !== null && existing.sourceKey !== incoming.sourceKey) {
    return {
      action: 'reject',
      reason: {
        code: 'subdomain-conflict',
        field: 'subdomain',
        message: `the subdomain already belongs to the tenant migrated from ${existing.sourceKey}`,
      },
    };
  }
  if (existing.sourceHash === incoming.sourceHash) return { action: 'unchanged' };
  if (policy === 'overwrite') return { action: 'update' };
  if (policy === 'skip') {
    return {
      action: 'skip',
      conflict: false,
      reason: {
        code: 'exists-in-postgres',
        message: 'the tenant exists in PostgreSQL and the policy is skip',
      },
    };
  }
  const changedInPostgres =
    existing.migratedAt === null || existing.updatedAt > existing.migratedAt;
  if (changedInPostgres) {
    return {
      action: 'skip',
      conflict: true,
      reason: {
        code: 'conflict-postgres-changed',
        message:
          'the tenant was changed in PostgreSQL after its last migration; PostgreSQL was kept',
      },
    };
  }
  return { action: 'update' };
};

/**
 * The SQL form of the update branch of `decideMerge`, evaluated by ON CONFLICT .. WHERE, so a
 * row another writer created or changed after the decision is never overwritten blindly.
 * `tenants` is the INSERT's target table as the statement names it (the configured name,
 * schema-qualified or not): the existing row's columns are qualified with it.
 */
export const updatePredicateSql = (policy: ConflictPolicy, tenants: string): string => {
  const owned = `(${tenants}.source_key IS NULL OR ${tenants}.source_key = EXCLUDED.source_key)`;
  const changed = `${tenants}.source_hash IS DISTINCT FROM EXCLUDED.source_hash`;
  switch (policy) {
    case 'overwrite':
      return `${changed} AND ${owned}`;
    case 'skip':
      return 'false';
    case 'keep-postgres':
      return `${changed} AND ${tenants}.source_key = EXCLUDED.source_key AND ${tenants}.migrated_at IS NOT NULL AND ${tenants}.updated_at <= ${tenants}.migrated_at`;
  }
};
