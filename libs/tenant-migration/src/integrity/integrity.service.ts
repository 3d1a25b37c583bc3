import { Inject, Injectable } from '@nestjs/common';
import { throwIfStopped } from '../errors/index.js';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { ScanState } from '../migration/scan-state.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import {
  IntegrityComparisonRepository,
  type DriftCounts,
  type OwnershipConflict,
} from './integrity-comparison.repository.js';
import type { IntegrityReport, InvalidRedisRecord, TenantDrift } from './integrity.types.js';

/** Kept here for the importers of the check's SQL predicate; it lives in `row-differs.sql.ts`. */

export interface IntegrityCheckRequest {
  /** How many drifts to list (0: all). Counts always cover everything. Default 0. */
  limit?: number;
  onProgress?: (scanned: number) => void;
  /** Stops the check at the next batch (OperationStoppedError); it wrote nothing. */
  signal?: AbortSignal;
}

/** What the scan of the Redis side tallied. */
interface KeyspaceTally {
  scanned: number;
  valid: number;
  invalid: number;
  skipped: number;
  /** The first `limit` invalid records (all when limit is 0). */
  invalidRecords: InvalidRedisRecord[];
}

/** Everything the comparison found, before it becomes the report. */
interface Comparison {
  tally: KeyspaceTally;
  counts: DriftCounts;
  drift: TenantDrift[];
}

/** A key PostgreSQL credits another key's subdomain to, as the migration would reject it. */
const conflictRecord = (conflict: OwnershipConflict): InvalidRedisRecord => ({
  key: conflict.key,
  reasons: [
    {
      code: 'subdomain-conflict',
      field: 'subdomain',
      message: `the subdomain already belongs to the tenant migrated from ${conflict.owner}`,
    },
  ],
});

/** Adds `record` to the listed invalid records unless `limit` (0: none) is reached. */
const listInvalid = (tally: KeyspaceTally, limit: number, record: InvalidRedisRecord): void => {
  if (limit === 0 || tally.invalidRecords.length < limit) tally.invalidRecords.push(record);
};

/**
 * Compares every tenant in Redis with PostgreSQL, field by field, at keyspace scale: the
 * Redis side is read and mapped exactly as a migration would (same classifier), staged in a
 * temporary table, and PostgreSQL finds what is only on one side and what differs with
 * set-based queries (`IntegrityComparisonRepository`). Nothing is written anywhere (the
 * temporary tables go with the transaction).
 */
@Injectable()
export class IntegrityService {
  /** Each dependency is typed by the part this service uses (unit specs pass small fakes). */
  constructor(
    @Inject(RESOLVED_OPTIONS)
    private readonly options: Pick<
      ResolvedTenantMigrationOptions,
      'keyPrefix' | 'batchSize' | 'maxValueBytes'
    >,
    @Inject(RedisKeyspaceReader) private readonly reader: Pick<RedisKeyspaceReader, 'batches'>,
    @Inject(KeyspaceClassifier) private readonly classifier: Pick<KeyspaceClassifier, 'classify'>,
    @Inject(PostgresSessionFactory)
    private readonly sessions: Pick<
      PostgresSessionFactory,
      'withSession' | 'assertSchema' | 'transaction'
    >,
    @Inject(IntegrityComparisonRepository)
    private readonly comparison: Pick<
      IntegrityComparisonRepository,
      keyof IntegrityComparisonRepository
    >,
  ) {}

  async check(request: IntegrityCheckRequest = {}): Promise<IntegrityReport> {
    const started = Date.now();
    const limit = request.limit ?? 0;
    const { tally, counts, drift } = await this.sessions.withSession(async (client) => {
      await this.sessions.assertSchema(client);
      await this.comparison.tuneSession(client);
      return this.sessions.transaction(client, () => this.compare(client, request, limit));
    });
    const total = counts.onlyInRedis + counts.onlyInPostgres + counts.different;
    return {
      consistent: total === 0,
      redisKeys: tally.scanned,
      valid: tally.valid,
      invalid: tally.invalid,
      skipped: tally.skipped,
      postgresTenants: counts.postgresTenants,
      cleanedUp: counts.cleanedUp,
      matching: tally.valid - counts.onlyInRedis - counts.different,
      onlyInRedis: counts.onlyInRedis,
      onlyInPostgres: counts.onlyInPostgres,
      different: counts.different,
      drift,
      truncated: drift.length < total,
      invalidRecords: tally.invalidRecords,
      durationMs: Date.now() - started,
    };
  }

  /** Stages the Redis side, sets the ownership conflicts apart, and finds the drift. */
  private async compare(
    client: PoolClient,
    request: IntegrityCheckRequest,
    limit: number,
  ): Promise<Comparison> {
    await this.comparison.createTables(client);
    const tally = await this.stageKeyspace(client, request, limit);
    // A key whose subdomain PostgreSQL credits to another key is what a migration rejects
    // (subdomain-conflict), not a tenant to compare: counted and listed as invalid.
    const conflicts = await this.comparison.moveOwnershipConflicts(client);
    tally.invalid += conflicts.length;
    tally.valid -= conflicts.length;
    for (const conflict of conflicts) listInvalid(tally, limit, conflictRecord(conflict));
    await this.comparison.findDrift(client);
    const counts = await this.comparison.countDrift(client);
    const drift = await this.comparison.listDrift(client, limit);
    return { tally, counts, drift };
  }

  /**
   * Reads and classifies the whole keyspace: valid records are staged, rejected ones recorded
   * as invalid (the first `limit` listed), vanished ones counted as skipped.
   */
  private async stageKeyspace(
    client: PoolClient,
    request: IntegrityCheckRequest,
    limit: number,
  ): Promise<KeyspaceTally> {
    const { keyPrefix, batchSize, maxValueBytes } = this.options;
    const state = new ScanState(keyPrefix);
    const tally: KeyspaceTally = {
      scanned: 0,
      valid: 0,
      invalid: 0,
      skipped: 0,
      invalidRecords: [],
    };
    const scan = { prefix: keyPrefix, batchSize, maxValueBytes, seen: state.seen };
    // One COPY in flight while the next batch is read and classified.
    let staging: Promise<void> = Promise.resolve();
    for await (const batch of this.reader.batches(scan)) {
      throwIfStopped(request.signal, { scanned: tally.scanned });
      const prepared = await this.classifier.classify(batch, state);
      tally.scanned += prepared.scanned;
      tally.valid += prepared.candidates.length;
      await staging;
      staging = this.comparison.stage(client, prepared.candidates);
      staging.catch(() => undefined);
      const rejected = prepared.exceptions.filter((e) => e.bucket === 'rejected');
      tally.skipped += prepared.exceptions.length - rejected.length;
      tally.invalid += rejected.length;
      for (const r of rejected) listInvalid(tally, limit, { key: r.key, reasons: r.reasons });
      if (rejected.length > 0) {
        await staging;
        await this.comparison.recordInvalid(
          client,
          rejected.map((r) => r.key),
        );
      }
      request.onProgress?.(tally.scanned);
    }
    await staging;
    return tally;
  }
}
