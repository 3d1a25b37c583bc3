import type { OutcomeReason } from '../common/outcome-reason.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { InvalidOptionError, InvalidTenantRecordError } from '../errors/index.js';
import type { SyncRow } from './sync.repository.js';
import { decision, type SyncDecision, type SyncRequest } from './sync.types.js';

/** What a sync knows of one tenant when it decides: both stores' copies, as read. */
export interface SyncFacts {
  subdomain: string;
  /** The tenant's Redis key (see `redisKeyOf`). */
  key: string;
  /** The tenant's PostgreSQL row; null when PostgreSQL does not have it. */
  row: SyncRow | null;
  /** The key is gone from Redis (deleted or expired). */
  vanished: boolean;
  /** The Redis record, validated and mapped as the migration maps it; absent when invalid or gone. */
  candidate: { record: Pick<TenantRecord, 'subdomain' | 'sourceHash'> } | undefined;
  /** Why the Redis record is not a candidate, or what else the classifier found. */
  redisProblems: OutcomeReason[];
  /** Whether cleanup deleted the key on purpose (asked only for a vanished key the row came from). */
  wasCleanedUp: () => Promise<boolean>;
  /** The tenant is in the write-back queue: PostgreSQL took a write Redis missed. */
  fromWriteBackQueue: boolean;
  /** The key another Redis key claiming the same subdomain would have (for the refusal). */
  prefixKey: string;
}

/**
 * Which side wins for one tenant, and why: the newer or only copy flows to the other store;
 * when both changed since the last migration, `prefer` decides, and without it the sync is
 * refused (InvalidOptionError). A record that cannot be synced safely (invalid and only in
 * Redis, naming another tenant, claimed by two keys) is refused with its typed error.
 * PostgreSQL must have the tenant or Redis must hold its key (the caller refuses otherwise).
 */
export const decideSync = async (facts: SyncFacts, request: SyncRequest): Promise<SyncDecision> => {
  const { subdomain, key, row, candidate, redisProblems } = facts;
  if (!row && !candidate) {
    throw new InvalidOptionError(
      `"${subdomain}" is only in Redis and its record is invalid: ${redisProblems.map((r) => r.message).join('; ')}`,
      { reasons: redisProblems },
    );
  }
  if (candidate && candidate.record.subdomain !== subdomain) {
    throw new InvalidTenantRecordError(
      `key ${key} names tenant "${candidate.record.subdomain}", not "${subdomain}"`,
      { subdomain, key },
    );
  }
  const conflict = redisProblems.find((r) => r.code === 'subdomain-conflict');
  if (row && conflict) {
    // Another key claims the same subdomain. Writing PostgreSQL's copy over this key would
    // drop whatever Redis changed in it; which key is the tenant's is the operator's call.
    throw new InvalidTenantRecordError(
      `"${subdomain}" is claimed by two Redis keys, ${key} and ${facts.prefixKey}; delete the one that is not the tenant's, then sync again`,
      { subdomain, key, reasons: redisProblems },
    );
  }

  if (!row) return decision('redis-to-postgres', 'write', 'only Redis has the tenant');
  if (facts.vanished) return decideVanished(facts, row, request);
  if (!candidate)
    return decision(
      'postgres-to-redis',
      'write',
      'the Redis record is invalid; PostgreSQL has a valid one',
    );
  const redisChanged = candidate.record.sourceHash !== row.source_hash;
  const postgresChanged = row.changed_in_postgres;
  if (redisChanged && postgresChanged) {
    if (!request.prefer) {
      throw new InvalidOptionError(
        `both stores changed "${subdomain}" since its last migration; choose the side that wins with prefer redis or prefer postgres`,
        { subdomain },
      );
    }
    return request.prefer === 'redis'
      ? decision('redis-to-postgres', 'write', 'both changed; Redis preferred')
      : decision('postgres-to-redis', 'write', 'both changed; PostgreSQL preferred');
  }
  if (redisChanged)
    return decision('redis-to-postgres', 'write', 'Redis changed since the last migration');
  if (postgresChanged)
    return decision('postgres-to-redis', 'write', 'PostgreSQL changed since the last migration');
  return decision('none', 'none', 'the stores already agree on this tenant');
};

/**
 * The decision for a tenant PostgreSQL has and its key does not. A key the row was migrated
 * from that is gone was deleted or expired in Redis, a change that flows to PostgreSQL as a
 * deletion, unless PostgreSQL changed the tenant too (both changed: `prefer` decides). A
 * tenant that never had that key, or whose key cleanup deleted on purpose, has nothing to
 * follow: it is written back when PostgreSQL holds something Redis lacks.
 */
const decideVanished = async (
  facts: SyncFacts,
  row: SyncRow,
  request: SyncRequest,
): Promise<SyncDecision> => {
  const { subdomain, key } = facts;
  if (row.source_key !== key)
    return decision(
      'postgres-to-redis',
      'write',
      'only PostgreSQL has the tenant (it was not migrated from this key)',
    );
  // A queued write-back is a PostgreSQL write Redis missed, whatever the timestamps say.
  const postgresChanged = row.changed_in_postgres || facts.fromWriteBackQueue;
  if (await facts.wasCleanedUp()) {
    return postgresChanged
      ? decision(
          'postgres-to-redis',
          'write',
          'cleanup deleted the key on purpose, and PostgreSQL changed the tenant since',
        )
      : decision(
          'none',
          'none',
          'cleanup deleted the key on purpose; PostgreSQL holds the tenant unchanged',
        );
  }
  if (!postgresChanged) {
    return decision(
      'redis-to-postgres',
      'delete',
      'the key was deleted or expired in Redis, and PostgreSQL has not changed the tenant since its last migration',
    );
  }
  const both = `both changed (deleted or expired in Redis, ${row.changed_in_postgres ? 'edited in PostgreSQL' : 'a PostgreSQL write Redis missed is queued'})`;
  if (request.prefer === 'redis')
    return decision('redis-to-postgres', 'delete', `${both}; Redis preferred`);
  if (request.prefer === 'postgres')
    return decision('postgres-to-redis', 'write', `${both}; PostgreSQL preferred`);
  throw new InvalidOptionError(
    `both stores changed "${subdomain}" since its last migration: its key ${key} was deleted or expired in Redis, and it was edited in PostgreSQL; ` +
      'choose the side that wins with prefer redis (delete it from PostgreSQL) or prefer postgres (write it back to Redis)',
    { subdomain, key },
  );
};
