import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import { TenantNotFoundError } from '../errors/index.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { RedisTenantKeysRepository } from '../source/redis-tenant-keys.repository.js';
import type { InspectedKey } from '../source/redis-tenant-keys.repository.js';
import { KeyspaceClassifier, type Candidate } from '../migration/keyspace-classifier.js';
import { sourceHashOf } from '../tenants/tenant-mapper.js';
import { redisKeyOf } from '../tenants/tenant-row.js';
import type { TenantEntity } from '../tenants/tenant.entity.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { ownershipConflictReason } from './integrity.service.js';
import {
  keyspaceEntryOf,
  lookupReadBytes,
  lookupStateOf,
  shownValue,
  TENANT_LOOKUP_HISTORY_LIMIT,
} from './tenant-lookup.js';
import { TenantLookupRepository, type LookupRow } from './tenant-lookup.repository.js';
import type {
  TenantLookup,
  TenantLookupHistory,
  TenantLookupRedis,
} from './tenant-lookup.types.js';

/** The Redis side as classified: what is shown, and the candidate a migration would merge. */
interface ClassifiedKey {
  shown: TenantLookupRedis;
  candidate: Candidate | undefined;
  /** The value, when it was read whole (a string within `maxValueBytes`). */
  value: Buffer | null;
}

/**
 * One tenant in both stores, for the admin dashboard: its Redis key as it is (type, TTL, size,
 * the value as text or hex, never evaluated) and as a migration maps it (the migration's own
 * classifier), its tenants row, the integrity check's field comparison of the two, and its
 * history (quarantine, audit log, pending write-back). Reads only, in one read-only snapshot
 * of PostgreSQL.
 *
 * The key is the one the tenant's row was migrated from, else prefix + subdomain (as sync
 * finds it); a subdomain whose key and row are both absent is TenantNotFoundError.
 */
@Injectable()
export class TenantLookupService {
  constructor(
    @Inject(RESOLVED_OPTIONS)
    private readonly options: Pick<ResolvedTenantMigrationOptions, 'keyPrefix' | 'maxValueBytes'>,
    @Inject(TenantValidator) private readonly validator: Pick<TenantValidator, 'requireSubdomain'>,
    @Inject(PostgresSessionFactory)
    private readonly sessions: Pick<PostgresSessionFactory, 'withReadOnlySession' | 'assertSchema'>,
    @Inject(TenantLookupRepository)
    private readonly store: Pick<TenantLookupRepository, keyof TenantLookupRepository>,
    @Inject(RedisTenantKeysRepository)
    private readonly keys: Pick<RedisTenantKeysRepository, 'inspect'>,
    @Inject(KeyspaceClassifier) private readonly classifier: Pick<KeyspaceClassifier, 'classify'>,
  ) {}

  /** The tenant named by `subdomainInput` (InvalidSubdomainError when it cannot name one). */
  async lookup(subdomainInput: string): Promise<TenantLookup> {
    const subdomain = this.validator.requireSubdomain(subdomainInput);
    return this.sessions.withReadOnlySession(async (client) => {
      await this.sessions.assertSchema(client);
      const row = await this.store.row(client, subdomain);
      const { keyPrefix, maxValueBytes } = this.options;
      const key = redisKeyOf(keyPrefix, subdomain, row?.sourceKey);
      const inspected = await this.keys.inspect(key, lookupReadBytes(maxValueBytes));
      const redis = inspected ? await this.classify(key, inspected, row) : null;
      const candidate = redis?.candidate;
      const comparison = row && candidate ? await this.store.compare(client, candidate) : null;
      const state = lookupStateOf({
        inRedis: redis !== null,
        validInRedis: candidate !== undefined,
        inPostgres: row !== null,
        differs: comparison?.differs ?? false,
      });
      if (state === null) {
        throw new TenantNotFoundError(
          `tenant "${subdomain}" exists in neither Redis nor PostgreSQL`,
          { subdomain, key },
        );
      }
      const postgres = row ? entityOf(row) : null;
      return {
        subdomain,
        key,
        state,
        redis: redis?.shown ?? null,
        postgres,
        fields: comparison?.fields ?? [],
        changedInRedis: row && redis?.value ? sourceHashOf(redis.value) !== row.sourceHash : null,
        changedInPostgres: row ? row.changedInPostgres : null,
        cleanedUp:
          row !== null && redis === null && row.sourceHash !== null
            ? await this.store.wasCleanedUp(client, subdomain, row.sourceHash)
            : false,
        history: await this.history(client, subdomain, key, postgres),
      };
    });
  }

  /**
   * The key classified exactly as a migration classifies it, then, as the check does, set
   * apart when PostgreSQL credits its subdomain to another key (`subdomain-conflict`).
   */
  private async classify(
    key: string,
    inspected: InspectedKey,
    row: LookupRow | null,
  ): Promise<ClassifiedKey> {
    const entry = keyspaceEntryOf(key, inspected, this.options.maxValueBytes);
    const prepared = await this.classifier.classify({ entries: [entry] });
    let candidate = prepared.candidates.at(0);
    const reasons: OutcomeReason[] = prepared.exceptions.flatMap((e) => e.reasons);
    if (candidate && row && row.sourceKey !== null && row.sourceKey !== key) {
      reasons.push(ownershipConflictReason(row.sourceKey));
      candidate = undefined;
    }
    const shown =
      inspected.head !== null && inspected.bytes !== null
        ? shownValue(inspected.head, inspected.bytes)
        : { text: null, hexPrefix: null, truncated: false };
    return {
      shown: {
        type: inspected.type,
        ttlMs: inspected.ttlMs,
        bytes: inspected.bytes,
        ...shown,
        mapped: candidate?.record ?? null,
        reasons,
        notes: candidate?.notes ?? [],
      },
      candidate,
      value: entry.kind === 'value' ? entry.value : null,
    };
  }

  private async history(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: TenantEntity | null,
  ): Promise<TenantLookupHistory> {
    const limit = TENANT_LOOKUP_HISTORY_LIMIT;
    const names = { prefix: this.options.keyPrefix, key, subdomain };
    return {
      exceptions: await this.store.exceptions(client, names, limit),
      audit: await this.store.audit(client, subdomain, limit),
      writeBacks: await this.store.pendingWriteBacks(client, subdomain),
      migratedAt: row?.migratedAt ?? null,
      updatedAt: row?.updatedAt ?? null,
    };
  }
}

/** The row as its entity, without the lookup's extra column. */
const entityOf = (row: LookupRow): TenantEntity => {
  const { changedInPostgres: _changed, ...entity } = row;
  return entity;
};
