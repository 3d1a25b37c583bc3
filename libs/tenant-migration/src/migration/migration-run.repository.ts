import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PoolClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { In, type Repository, type SelectQueryBuilder } from 'typeorm';
import { MigrationRunEntity } from './migration-run.entity.js';
import { MigrationExceptionEntity } from './migration-exception.entity.js';
import type {
  ExceptionBucket,
  MigrationCheckpoint,
  MigrationCounts,
  MigrationRunKind,
  MigrationRunOptions,
  MigrationRunStatus,
} from './migration.types.js';
import { emptyCounts } from './migration.types.js';
import { storableText } from '../common/storable-text.js';

/** Which of a run's quarantine rows a query reads: every member given must hold. */
export interface ExceptionRowFilter {
  bucket?: ExceptionBucket;
  /** A code that one of the row's reasons has. */
  reasonCode?: string;
  /**
   * The stored key, compared with `lower()` on both sides, among the keys that start with
   * `prefix` exactly.
   */
  keyCaseless?: { prefix: string; key: string };
}

/** The run ledger: creation, in-transaction checkpoints, completion, and queries for the UIs. */
@Injectable()
export class MigrationRunRepository {
  /** The configured name of the runs table, for the raw checkpoint statement. */
  private readonly runsTable: string;
  /** The configured name of the table of the runs' key fingerprints. */
  private readonly keysTable: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantRepository(MigrationRunEntity)
    private readonly runs: Repository<MigrationRunEntity>,
    @InjectTenantRepository(MigrationExceptionEntity)
    private readonly exceptions: Repository<MigrationExceptionEntity>,
  ) {
    this.runsTable = options.tables.migrationRuns;
    this.keysTable = options.tables.migrationRunKeys;
  }

  async create(kind: MigrationRunKind, options: MigrationRunOptions): Promise<MigrationRunEntity> {
    const run = this.runs.create({
      id: randomUUID(),
      kind,
      status: 'running',
      options,
      counts: emptyCounts(),
      checkpoint: null,
      heartbeatAt: new Date(),
      finishedAt: null,
      durationMs: null,
      error: null,
    });
    return this.runs.save(run);
  }

  findById(id: string): Promise<MigrationRunEntity | null> {
    return this.runs.findOneBy({ id });
  }

  /** Runs left `running` by a process that died (callers hold the migration lock). */
  findInterrupted(kind: MigrationRunKind): Promise<MigrationRunEntity[]> {
    return this.runs.find({
      where: { kind, status: In(['running', 'interrupted']) },
      order: { startedAt: 'DESC' },
    });
  }

  latest(limit: number): Promise<MigrationRunEntity[]> {
    return this.runs.find({ order: { startedAt: 'DESC' }, take: limit });
  }

  async markStatus(id: string, status: MigrationRunStatus): Promise<void> {
    await this.runs.update({ id }, { status });
  }

  /**
   * Stores the batch's key fingerprints, the run's counts and its checkpoint in the batch's
   * transaction and commits it, in one round trip (a simple-protocol multi-statement, hence
   * the escaped literals). Counts and checkpoint hold no text from Redis.
   */
  async checkpointAndCommit(
    client: PoolClient,
    id: string,
    counts: MigrationCounts,
    checkpoint: MigrationCheckpoint,
    fingerprints: Buffer,
  ): Promise<void> {
    const run = client.escapeLiteral(id);
    const keys =
      fingerprints.length > 0
        ? `INSERT INTO ${this.keysTable} (run_id, batch, fingerprints) VALUES (${run}, ${checkpoint.batches}, '\\x${fingerprints.toString('hex')}'::bytea);`
        : '';
    await client.query(
      `${keys} UPDATE ${this.runsTable} SET counts = ${client.escapeLiteral(JSON.stringify(counts))}::jsonb,
         checkpoint = ${client.escapeLiteral(JSON.stringify(checkpoint))}::jsonb, heartbeat_at = now()
       WHERE id = ${run}; COMMIT`,
    );
  }

  /**
   * Hands the stored key fingerprints of a run's committed batches to `add`, a page of batches
   * at a time (a resumed run rebuilds what it had accounted for).
   */
  async forEachFingerprints(runId: string, add: (fingerprints: Buffer) => void): Promise<void> {
    const page = 200;
    for (let after = -1; ;) {
      const rows = await this.runs.query<{ batch: number; fingerprints: Buffer }[]>(
        `SELECT batch, fingerprints FROM ${this.keysTable} WHERE run_id = $1 AND batch > $2 ORDER BY batch LIMIT ${page}`,
        [runId, after],
      );
      for (const row of rows) add(row.fingerprints);
      if (rows.length < page) return;
      after = rows[rows.length - 1].batch;
    }
  }

  async finish(
    id: string,
    status: MigrationRunStatus,
    counts: MigrationCounts,
    durationMs: number,
    error: string | null = null,
  ): Promise<void> {
    await this.runs.update(
      { id },
      {
        status,
        counts,
        durationMs,
        error: error === null ? null : storableText(error),
        finishedAt: new Date(),
      },
    );
  }

  exceptionsOf(
    runId: string,
    bucket: ExceptionBucket | undefined,
    limit: number,
    offset = 0,
  ): Promise<MigrationExceptionEntity[]> {
    return this.exceptionPage(runId, bucket ? { bucket } : {}, limit, offset);
  }

  /** A page of the run's quarantine rows that match `filter`, in id (recording) order. */
  exceptionPage(
    runId: string,
    filter: ExceptionRowFilter,
    limit: number,
    offset: number,
  ): Promise<MigrationExceptionEntity[]> {
    return this.matching(runId, filter)
      .orderBy('e.id', 'ASC')
      .limit(limit)
      .offset(offset)
      .getMany();
  }

  /** How many of the run's quarantine rows match `filter`. */
  countExceptions(runId: string, filter: ExceptionRowFilter): Promise<number> {
    return this.matching(runId, filter).getCount();
  }

  /**
   * The next `limit` matching rows with an id above `afterId`, in id order: a keyset page, so
   * an export reads the quarantine page by page without holding a connection between pages.
   */
  exceptionsAfter(
    runId: string,
    filter: ExceptionRowFilter,
    afterId: string,
    limit: number,
  ): Promise<MigrationExceptionEntity[]> {
    return this.matching(runId, filter)
      .andWhere('e.id > CAST(:afterId AS bigint)', { afterId })
      .orderBy('e.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * The run's rows that match `filter`, every value a bound parameter. The key is compared as
   * `lower(key)`, and the reason by jsonb containment, so an index on `(run_id, lower(key))` or
   * a GIN index on `reasons` would serve them; today the `(run_id, bucket)` index narrows the
   * rows to the run's.
   */
  private matching(
    runId: string,
    filter: ExceptionRowFilter,
  ): SelectQueryBuilder<MigrationExceptionEntity> {
    const query = this.exceptions.createQueryBuilder('e').where('e.run_id = :runId', { runId });
    if (filter.bucket) query.andWhere('e.bucket = :bucket', { bucket: filter.bucket });
    if (filter.reasonCode !== undefined) {
      query.andWhere(
        `e.reasons @> jsonb_build_array(jsonb_build_object('code', CAST(:reasonCode AS text)))`,
        { reasonCode: filter.reasonCode },
      );
    }
    if (filter.keyCaseless) {
      const { prefix, key } = filter.keyCaseless;
      query
        .andWhere('lower(e.key) = lower(CAST(:caselessKey AS text))', { caselessKey: key })
        .andWhere('starts_with(e.key, CAST(:keyPrefix AS text))', { keyPrefix: prefix });
    }
    return query;
  }
}
