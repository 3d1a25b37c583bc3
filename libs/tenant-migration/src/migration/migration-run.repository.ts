import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { PoolClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { In, type Repository } from 'typeorm';
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

/** The run ledger: creation, in-transaction checkpoints, completion, and queries for the UIs. */
@Injectable()
export class MigrationRunRepository {
  /** The configured name of the runs table, for the raw checkpoint statement. */
  private readonly runsTable: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantRepository(MigrationRunEntity) private readonly runs: Repository<MigrationRunEntity>,
    @InjectTenantRepository(MigrationExceptionEntity) private readonly exceptions: Repository<MigrationExceptionEntity>,
  ) {
    this.runsTable = options.tables.migrationRuns;
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
    return this.runs.find({ where: { kind, status: In(['running', 'interrupted']) }, order: { startedAt: 'DESC' } });
  }

  latest(limit: number): Promise<MigrationRunEntity[]> {
    return this.runs.find({ order: { startedAt: 'DESC' }, take: limit });
  }

  async markStatus(id: string, status: MigrationRunStatus): Promise<void> {
    await this.runs.update({ id }, { status });
  }

  /**
   * Stores counts and checkpoint in the batch's transaction and commits it, in one round
   * trip (a simple-protocol multi-statement, hence the escaped literals).
   */
  async checkpointAndCommit(client: PoolClient, id: string, counts: MigrationCounts, checkpoint: MigrationCheckpoint): Promise<void> {
    await client.query(
      `UPDATE ${this.runsTable} SET counts = ${client.escapeLiteral(JSON.stringify(counts))}::jsonb,
         checkpoint = ${client.escapeLiteral(JSON.stringify(checkpoint))}::jsonb, heartbeat_at = now()
       WHERE id = ${client.escapeLiteral(id)}; COMMIT`,
    );
  }

  async finish(
    id: string,
    status: MigrationRunStatus,
    counts: MigrationCounts,
    durationMs: number,
    error: string | null = null,
  ): Promise<void> {
    await this.runs.update({ id }, { status, counts, durationMs, error, finishedAt: new Date() });
  }

  exceptionsOf(runId: string, bucket: ExceptionBucket | undefined, limit: number, offset = 0): Promise<MigrationExceptionEntity[]> {
    return this.exceptions.find({
      where: bucket ? { runId, bucket } : { runId },
      order: { id: 'ASC' },
      take: limit,
      skip: offset,
    });
  }
}
