import { Injectable } from '@nestjs/common';
import { MigrationRunNotFoundError } from '../errors/index.js';
import type { MigrationExceptionEntity } from './migration-exception.entity.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import type { ExceptionBucket } from './migration.types.js';

/** One page of a run's quarantine. */
export interface ExceptionPage {
  bucket?: ExceptionBucket;
  limit: number;
  offset: number;
}

/**
 * The read side of the run ledger, as the admin API and the CLI show it: the newest runs, one
 * run, and a page of its quarantine. An unknown run is an error, never an empty answer that
 * would look like a clean run.
 */
@Injectable()
export class MigrationRunsService {
  constructor(private readonly runs: MigrationRunRepository) {}

  /** The newest `limit` runs, newest first. */
  latest(limit: number): Promise<MigrationRunEntity[]> {
    return this.runs.latest(limit);
  }

  /** The run `id`; `MigrationRunNotFoundError` when there is none. */
  async get(id: string): Promise<MigrationRunEntity> {
    const run = await this.runs.findById(id);
    if (!run) throw new MigrationRunNotFoundError(`no migration run ${id}`, { runId: id });
    return run;
  }

  /** A page of the run's quarantined keys, in the order they were recorded. */
  async exceptions(id: string, page: ExceptionPage): Promise<MigrationExceptionEntity[]> {
    await this.get(id);
    return this.runs.exceptionsOf(id, page.bucket, page.limit, page.offset);
  }
}
