import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { OperationStoppedError } from '../errors/index.js';
import { stopReasonOf, type StopReason } from '../common/stop-signal.js';
import type { PoolClient } from 'pg';
import type { OutcomeReason } from '../common/outcome-reason.js';
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
import { integrityCheckpointOf } from './integrity-checkpoint.js';
import type {
  IntegrityCheckpoint,
  IntegrityReport,
  InvalidRedisRecord,
  KeyspaceTally,
  TenantDrift,
} from './integrity.types.js';

/** Kept here for the importers of the check's SQL predicate; it lives in `row-differs.sql.ts`. */

export interface IntegrityCheckRequest {
  /** How many drifts to list (0: all). Counts always cover everything. Default 0. */
  limit?: number;
  onProgress?: (scanned: number) => void;
  /** Stops the check at the next batch (OperationStoppedError); it wrote nothing. */
  signal?: AbortSignal;
  /**
   * A pause or a shutdown suspends the check instead: what it staged is kept (unlogged tables)
   * and the OperationStoppedError carries the checkpoint `resumeFrom` continues from.
   */
  suspendable?: boolean;
  /** Continues the check a suspension left (see `suspendable`). */
  resumeFrom?: IntegrityCheckpoint;
}

/** A scan that stopped before its end: why, how far it got, and where it can go on from. */
interface StoppedScan {
  reason: StopReason;
  scanned: number;
  checkpoint: IntegrityCheckpoint | null;
}

/** Everything the comparison found, before it becomes the report. */
interface Comparison {
  tally: KeyspaceTally;
  counts: DriftCounts;
  drift: TenantDrift[];
}

/** Why a valid record is set apart when PostgreSQL credits its subdomain to the key `owner`. */
export const ownershipConflictReason = (owner: string): OutcomeReason => ({
  code: 'subdomain-conflict',
  field: 'subdomain',
  message: `the subdomain already belongs to the tenant migrated from ${owner}`,
});

/** A key PostgreSQL credits another key's subdomain to, as the migration would reject it. */
const conflictRecord = (conflict: OwnershipConflict): InvalidRedisRecord => ({
  key: conflict.key,
  reasons: [ownershipConflictReason(conflict.owner)],
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
    const outcome = await this.sessions
      .withSession(async (client) => {
        await this.sessions.assertSchema(client);
        await this.comparison.tuneSession(client);
        // A stop returns (not throws) from the transaction, so that it commits: the tables
        // of a suspension last, and those of the checkpoint it continued are dropped.
        return this.sessions.transaction(client, () => this.compare(client, request, limit));
      })
      .catch(async (error: unknown) => {
        // Rolled back, the checkpoint's tables are there again; the failed check leaves no
        // checkpoint for them, so they go now.
        if (request.resumeFrom) await this.discardSuspended(request.resumeFrom).catch(() => {});
        throw error;
      });
    if ('reason' in outcome) {
      const { reason, scanned, checkpoint } = outcome;
      throw new OperationStoppedError(reason, { scanned }, checkpoint);
    }
    const { tally, counts, drift } = outcome;
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

  /** Drops what a suspended check kept (its operation was cancelled instead of resumed). */
  async discardSuspended(checkpoint: unknown): Promise<void> {
    const suspended = integrityCheckpointOf(checkpoint);
    if (!suspended) return;
    await this.sessions.withSession((client) =>
      this.comparison.dropSuspended(client, suspended.parts),
    );
  }

  /**
   * Drops the suspensions no checkpoint names any more (`kept`: the checkpoints of the check
   * operations), once older than `graceMs`: a stop commits its tables a moment before its
   * operation records the checkpoint, and a checkpoint can be lost with its operation's record
   * (PostgreSQL gone at that moment). Returns the names dropped.
   */
  async dropOrphanedSuspensions(
    kept: readonly Readonly<Record<string, unknown>>[],
    graceMs: number,
  ): Promise<string[]> {
    const named = new Set(
      kept.map((checkpoint) => integrityCheckpointOf(checkpoint)?.parts).filter(Boolean),
    );
    return this.sessions.withSession(async (client) => {
      const orphans = (await this.comparison.suspendedBefore(client, graceMs)).filter(
        (parts) => !named.has(parts),
      );
      for (const parts of orphans) await this.comparison.dropSuspended(client, parts);
      return orphans;
    });
  }

  /** Stages the Redis side, sets the ownership conflicts apart, and finds the drift. */
  private async compare(
    client: PoolClient,
    request: IntegrityCheckRequest,
    limit: number,
  ): Promise<Comparison | StoppedScan> {
    await this.comparison.createTables(client);
    const tally = await this.stageKeyspace(client, request, limit);
    if ('reason' in tally) return tally;
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
  ): Promise<KeyspaceTally | StoppedScan> {
    const { keyPrefix, batchSize, maxValueBytes } = this.options;
    const resumed = request.resumeFrom;
    const kept = resumed ? await this.comparison.takeSuspended(client, resumed.parts) : null;
    // Without its tables (dropped by hand), a checkpoint is worth nothing: start again.
    const from = resumed && kept ? resumed : null;
    const state = kept ? ScanState.restore(keyPrefix, kept) : new ScanState(keyPrefix);
    const tally: KeyspaceTally = from
      ? structuredClone(from.tally)
      : { scanned: 0, valid: 0, invalid: 0, skipped: 0, invalidRecords: [] };
    let at = from ? { cursor: from.cursor, server: from.server } : { cursor: '0', server: null };
    const scan = {
      prefix: keyPrefix,
      batchSize,
      maxValueBytes,
      seen: state.seen,
      ...(from ? { resumeFrom: at } : {}),
    };
    // One COPY in flight while the next batch is read and classified.
    let staging: Promise<void> = Promise.resolve();
    for await (const batch of this.reader.batches(scan)) {
      const reason = stopReasonOf(request.signal);
      if (reason) {
        await staging;
        if (reason === 'cancel' || !request.suspendable)
          return { reason, scanned: tally.scanned, checkpoint: null };
        const parts = randomBytes(16).toString('hex');
        await this.comparison.suspend(client, parts, state.snapshot());
        return { reason, scanned: tally.scanned, checkpoint: { parts, ...at, tally } };
      }
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
      at = { cursor: batch.cursor, server: batch.server };
      request.onProgress?.(tally.scanned);
    }
    await staging;
    return tally;
  }
}
