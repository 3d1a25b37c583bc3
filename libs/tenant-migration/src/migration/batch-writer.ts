import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { isUniqueViolation, isUnstorableDataError } from '../common/pg-errors.js';
import { storableText } from '../common/storable-text.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import { TenantMergeRepository } from './tenant-merge.repository.js';
import { directCopyable } from './tenant-merge.sql.js';
import { type ExceptionRow, type MergeOutcome } from './tenant-merge.types.js';
import { accountBatch } from './batch-accounting.js';
import { decideMerge, type ExistingTenantState, type MergeDecision } from './outcome.js';
import type { BatchTurn } from './batch-turn.js';
import type { Candidate, PreparedBatch } from './keyspace-classifier.js';
import {
  PostgresSessionFactory,
  type PostgresSession,
} from '../database/postgres-session.factory.js';
import {
  addCounts,
  type ConflictPolicy,
  type MigrationCounts,
  type MigrationRunOptions,
} from './migration.types.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationStage } from './migration-request.types.js';
import {
  BATCH_BEGIN,
  releaseSavepoint,
  rollbackToSavepoint,
  savepoint,
} from './run-transactions.js';

/** One batch on its way to PostgreSQL: where, for which run, and its place in the order. */
export interface BatchWrite {
  session: PostgresSession;
  /** Null for a dry run: decide and count, write nothing. */
  run: MigrationRunEntity | null;
  options: MigrationRunOptions;
  batch: PreparedBatch;
  number: number;
  turn: BatchTurn;
  /** The run's fingerprint secret (hex), kept in every checkpoint. */
  secret: string;
  /** What the run's batches so far have learnt about the table (shared by its batches). */
  path: WritePath;
  onStage?: (stage: MigrationStage, batch: number) => void;
}

/**
 * What a run has learnt about the tenants table from its batches so far, which picks the write
 * path of the next one (see `BatchWriter.writeCandidates`). Batches decide it in scan order.
 */
export interface WritePath {
  /**
   * The last batch found none of its tenants in PostgreSQL (and a run starts so): the next one
   * is COPYed straight into the table.
   */
  firstLoad: boolean;
}

/** What a batch's write did: the merge outcome, the candidates stored, the state for the rest. */
interface Written {
  /** Null for a dry run, which writes nothing. */
  merged: MergeOutcome | null;
  candidates: Candidate[];
  existing: Map<string, ExistingTenantState>;
  /** Candidates PostgreSQL refused to store, quarantined. */
  unstorable: ExceptionRow[];
}

/** A straight COPY wrote every candidate: nothing updated, nothing left unwritten. */
const NOTHING_UNWRITTEN: MergeOutcome = Object.freeze({
  updated: new Set<string>(),
  unwritten: new Set<string>(),
});

const subdomainsOf = (candidates: readonly Candidate[]): string[] =>
  candidates.map((c) => c.record.subdomain);

const CREATED: MergeDecision = { action: 'create' };
const UPDATED: MergeDecision = { action: 'update' };
const CONCURRENT_WRITE: MergeDecision = {
  action: 'skip',
  conflict: true,
  reason: {
    code: 'concurrent-write',
    message:
      'PostgreSQL changed this tenant after this run read it from Redis; PostgreSQL was kept',
  },
};
const CONCURRENT_DELETE: MergeDecision = {
  action: 'skip',
  conflict: true,
  reason: {
    code: 'concurrent-delete',
    message:
      'the tenant was deleted in PostgreSQL after this run read it from Redis; it was not brought back',
  },
};

/**
 * Writes one batch: stages and merges its candidates, records its exceptions, and commits
 * them with the run's counts, checkpoint and key fingerprints in one transaction. A batch
 * whose data PostgreSQL refuses is not lost with it: the merge is retried one record at a
 * time, and only the records that cannot be stored are quarantined (`unstorable`), each by
 * itself; the rest of the batch migrates.
 */
@Injectable()
export class BatchWriter {
  constructor(
    private readonly merges: TenantMergeRepository,
    private readonly runs: MigrationRunRepository,
    private readonly sessions: PostgresSessionFactory,
  ) {}

  /**
   * Writes, decides and accounts one batch; in a real run atomically with its checkpoint.
   *
   * A real run stages and merges first (the ON CONFLICT predicate is the SQL form of
   * `decideMerge`, guarded by the batch's write fence), then reads the state of only the rows
   * it did not write, to say why: unchanged, conflict, held by another key, or changed (or
   * deleted) by another writer after the batch read Redis. A dry run reads the state of every
   * row and decides in memory. `turn` orders merges and commits across sessions.
   */
  async write(write: BatchWrite, counts: MigrationCounts): Promise<ExceptionRow[]> {
    try {
      // The batch and its checkpoint commit together (see BATCH_BEGIN).
      return write.run
        ? await this.sessions.transactionCommittedBy(
            write.session.client,
            () => this.writeBatch(write, counts),
            BATCH_BEGIN,
          )
        : await this.writeBatch(write, counts);
    } catch (error) {
      write.turn.fail(error);
      throw error;
    }
  }

  /** The batch's work inside its transaction (a real run) or its snapshot (a dry run). */
  private async writeBatch(write: BatchWrite, counts: MigrationCounts): Promise<ExceptionRow[]> {
    const { session, run, options, batch, number, turn } = write;
    const { client } = session;
    let written: Written;
    if (run) {
      // Batches merge in scan order: what this one reads of PostgreSQL is what the one before
      // it left there.
      await turn.previous?.merged.done;
      written = await this.writeCandidates(write, client);
      write.onStage?.('batch-merged', number);
    } else {
      const existing = await this.merges.findExisting(client, subdomainsOf(batch.candidates));
      written = { merged: null, candidates: batch.candidates, existing, unstorable: [] };
    }
    turn.merged.resolve();
    const { merged, candidates, existing, unstorable } = written;

    const accounted = { ...batch, candidates, exceptions: [...batch.exceptions, ...unstorable] };
    const { counts: delta, exceptions } = accountBatch(accounted, (c) =>
      decide(c, merged, existing, options.conflictPolicy),
    );
    delta.repeated = batch.repeated;
    if (run) await this.insertExceptions(client, run.id, exceptions);
    await turn.previous?.committed.done;
    const next = addCounts(counts, delta);
    if (run) {
      const checkpoint = {
        cursor: batch.cursor,
        batches: number,
        server: batch.server,
        secret: write.secret,
      };
      await this.runs.checkpointAndCommit(client, run.id, next, checkpoint, batch.fingerprints);
    }
    Object.assign(counts, next);
    turn.committed.resolve();
    if (run) write.onStage?.('batch-committed', number);
    return exceptions;
  }

  /**
   * The writes of a real run's batch, by the cheapest path that stores exactly what the merge
   * would:
   * - **Straight COPY** (a first load): while the batches before this one found none of their
   *   tenants in PostgreSQL, the batch is COPYed straight into the tenants table, with no
   *   staging, no merge and no read. A row that exists after all, or one another session is
   *   inserting, fails the COPY with a unique violation, and a tenant deleted after the batch's
   *   write fence shows in its tombstones: either way the batch rolls back to its savepoint and
   *   takes the merge path.
   * - **Merge**: the state of the batch's tenants is read first, and only the candidates that
   *   `decideMerge` would write (create or update) are staged and merged, under the merge's
   *   guard. The others (unchanged, conflicting, skipped) are decided on that state and cost no
   *   write, so a re-run of an unchanged keyspace writes nothing.
   * Returns what was merged, the candidates stored, and the state the unwritten ones are
   * decided on (after the merge for those it was asked to write, before it for the rest).
   */
  private async writeCandidates(write: BatchWrite, client: PoolClient): Promise<Written> {
    const { batch, number, options, path } = write;
    const fence = requireFence(batch.fence);
    const all = batch.candidates;
    const copied = (): Written => {
      write.onStage?.('batch-staged', number);
      return { merged: NOTHING_UNWRITTEN, candidates: all, existing: new Map(), unstorable: [] };
    };
    let copyTried = false;
    if (path.firstLoad) {
      copyTried = true;
      if (await this.tryCopyIntoTenants(client, all, fence)) return copied();
    }
    const before = await this.merges.findExisting(client, subdomainsOf(all));
    // None of this batch's tenants is in PostgreSQL: the next batch tries the straight COPY.
    path.firstLoad = before.size === 0;
    if (before.size === 0 && !copyTried && (await this.tryCopyIntoTenants(client, all, fence)))
      return copied();

    const policy = options.conflictPolicy;
    const writes = all.filter((c) => wouldWrite(before.get(c.record.subdomain), c, policy));
    const unstorable: ExceptionRow[] = [];
    let merged: MergeOutcome = { updated: new Set(), unwritten: new Set() };
    let stored = writes;
    if (writes.length > 0) {
      const staged = await this.tryStage(client, writes);
      write.onStage?.('batch-staged', number);
      const whole = staged ? await this.tryMerge(client, policy, fence) : null;
      if (whole) merged = whole;
      else
        ({ merged, candidates: stored } = await this.mergeOneByOne(
          client,
          writes,
          policy,
          fence,
          unstorable,
        ));
    } else write.onStage?.('batch-staged', number);

    const unwritten = stored.filter((c) => merged.unwritten.has(c.record.subdomain));
    const after = await this.merges.findExisting(client, subdomainsOf(unwritten));
    const existing = new Map(before);
    for (const { record } of unwritten) {
      const state = after.get(record.subdomain);
      if (state) existing.set(record.subdomain, state);
      else existing.delete(record.subdomain);
    }
    const asked = new Set(writes);
    const kept = new Set(stored);
    // The merge was not asked to write these: decided on the state read before it.
    for (const c of all) if (!asked.has(c)) merged.unwritten.add(c.record.subdomain);
    const candidates =
      kept.size === asked.size ? all : all.filter((c) => !asked.has(c) || kept.has(c));
    return { merged, candidates, existing, unstorable };
  }

  /**
   * COPYs the candidates straight into the tenants table; false, with the batch rolled back to
   * its savepoint, when PostgreSQL already holds (or is inserting) one of them, one was deleted
   * after the write fence, or PostgreSQL refuses its data (the merge path then deals with each).
   */
  private async tryCopyIntoTenants(
    client: PoolClient,
    candidates: Candidate[],
    fence: string,
  ): Promise<boolean> {
    if (candidates.length === 0) return true;
    if (!candidates.every(directCopyable)) return false;
    try {
      await this.merges.copyIntoTenants(
        client,
        candidates,
        await this.merges.transactionNow(client),
      );
      if (!(await this.merges.tombstonedAfterFence(client, subdomainsOf(candidates), fence)))
        return true;
    } catch (error) {
      if (!isUniqueViolation(error) && !isUnstorableDataError(error)) throw error;
    }
    await rollbackToSavepoint(client, 'batch');
    return false;
  }

  /** Stages the batch; false (and nothing staged) when PostgreSQL refuses its data. */
  private async tryStage(client: PoolClient, candidates: Candidate[]): Promise<boolean> {
    try {
      await this.merges.stage(client, candidates);
      return true;
    } catch (error) {
      if (!isUnstorableDataError(error)) throw error;
      await rollbackToSavepoint(client, 'batch');
      return false;
    }
  }

  /** Merges what is staged; null (and nothing merged) when PostgreSQL refuses its data. */
  private async tryMerge(
    client: PoolClient,
    policy: ConflictPolicy,
    fence: string | null,
  ): Promise<MergeOutcome | null> {
    try {
      return await this.merges.mergeStaged(client, policy, requireFence(fence));
    } catch (error) {
      if (!isUnstorableDataError(error)) throw error;
      await rollbackToSavepoint(client, 'batch');
      return null;
    }
  }

  /**
   * The slow path of a batch PostgreSQL refused: each record staged and merged under its own
   * savepoint. A record refused alone is quarantined with PostgreSQL's reason; the others are
   * merged as usual. Returns the merged outcome and the candidates that were stored.
   */
  private async mergeOneByOne(
    client: PoolClient,
    candidates: Candidate[],
    policy: ConflictPolicy,
    fence: string | null,
    unstorable: ExceptionRow[],
  ): Promise<{ merged: MergeOutcome; candidates: Candidate[] }> {
    const merged: MergeOutcome = { updated: new Set(), unwritten: new Set() };
    const stored: Candidate[] = [];
    for (const candidate of candidates) {
      await savepoint(client, 'one');
      try {
        await this.merges.stage(client, [candidate]);
        const one = await this.merges.mergeStaged(client, policy, requireFence(fence));
        await this.merges.clearStage(client);
        await releaseSavepoint(client, 'one');
        for (const s of one.updated) merged.updated.add(s);
        for (const s of one.unwritten) merged.unwritten.add(s);
        stored.push(candidate);
      } catch (error) {
        if (!isUnstorableDataError(error)) throw error;
        await rollbackToSavepoint(client, 'one');
        unstorable.push({
          key: candidate.key,
          bucket: 'rejected',
          reasons: [
            {
              code: 'unstorable',
              message: `PostgreSQL cannot store this record: ${storableText(error.message)}`,
            },
          ],
        });
      }
    }
    return { merged, candidates: stored };
  }

  /**
   * Records the batch's exceptions. Everything in them went through the storable encoder;
   * should PostgreSQL still refuse one, the others are stored and that one keeps its key and
   * reason codes with PostgreSQL's message, so no key leaves the quarantine unrecorded.
   */
  private async insertExceptions(
    client: PoolClient,
    runId: string,
    rows: ExceptionRow[],
  ): Promise<void> {
    if (rows.length === 0) return;
    await savepoint(client, 'exceptions');
    try {
      await this.merges.insertExceptions(client, runId, rows);
      return;
    } catch (error) {
      if (!isUnstorableDataError(error)) throw error;
      await rollbackToSavepoint(client, 'exceptions');
    }
    for (const row of rows) {
      await savepoint(client, 'exceptions');
      try {
        await this.merges.insertExceptions(client, runId, [row]);
      } catch (error) {
        if (!isUnstorableDataError(error)) throw error;
        await rollbackToSavepoint(client, 'exceptions');
        const codes = row.reasons.map((r) => storableText(r.code)).join(', ');
        const reasons = [
          {
            code: 'unstorable',
            message: `the reasons (${codes}) could not be stored: ${storableText(error.message)}`,
          },
        ];
        await this.merges.insertExceptions(client, runId, [{ ...row, value: undefined, reasons }]);
      }
    }
  }
}

/** Whether `decideMerge` would write the candidate over this state (create or update). */
const wouldWrite = (
  state: ExistingTenantState | undefined,
  c: Candidate,
  policy: ConflictPolicy,
): boolean => {
  const { action } = decideMerge(
    state,
    { sourceHash: c.record.sourceHash, sourceKey: c.key },
    policy,
  );
  return action === 'create' || action === 'update';
};

const requireFence = (fence: string | null): string => {
  if (fence === null) throw new Error('a batch of a real run was read without a write fence');
  return fence;
};

/** The outcome of one candidate: what the merge did, or (dry run / not written) why not. */
const decide = (
  c: Candidate,
  merged: MergeOutcome | null,
  existing: Map<string, ExistingTenantState>,
  policy: ConflictPolicy,
): MergeDecision => {
  const { subdomain } = c.record;
  if (merged && !merged.unwritten.has(subdomain))
    return merged.updated.has(subdomain) ? UPDATED : CREATED;
  const state = existing.get(subdomain);
  const decision = decideMerge(
    state,
    { sourceHash: c.record.sourceHash, sourceKey: c.key },
    policy,
  );
  if (!merged || (decision.action !== 'create' && decision.action !== 'update')) return decision;
  // The merge's guard refused a row the decision would write: another writer changed it (or
  // deleted the tenant) after this batch read Redis. PostgreSQL is kept, and it is counted.
  return state === undefined ? CONCURRENT_DELETE : CONCURRENT_WRITE;
};
