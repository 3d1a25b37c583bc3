import { Injectable, Logger } from '@nestjs/common';
import { MigrationRunNotFoundError, RunNotResumableError } from '../errors/index.js';
import { MigrationRunRepository } from './migration-run.repository.js';
import type { MigrationRunOptions } from './migration.types.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { MigrationRequest } from './migration-request.types.js';

/** Whether a run's checkpoint lets it resume exactly (it keeps the run's fingerprint secret). */
export const resumableExactly = (run: MigrationRunEntity): boolean =>
  run.checkpoint === null || run.checkpoint.secret !== undefined;

/** The run a real migration works on, and whether it continues an earlier one. */
export interface StartedRun {
  run: MigrationRunEntity;
  resumed: boolean;
}

/**
 * Decides which run a real migration continues: the one it was asked to resume (refused when
 * it is completed, of another prefix or cannot be resumed exactly), else the newest
 * interrupted run of its prefix, else a new run. Called holding the table's lock.
 */
@Injectable()
export class RunStarter {
  // Log lines keep the engine's name, as before the engine was split into parts.
  private readonly logger = new Logger('MigrationService');

  constructor(private readonly runs: MigrationRunRepository) {}

  async startOrResume(
    options: MigrationRunOptions,
    request: MigrationRequest,
  ): Promise<StartedRun> {
    if (request.resumeRunId) return this.resumeGiven(request.resumeRunId, options);
    // We hold the lock, so any run still marked `running` belongs to a process that died.
    // The newest one of this prefix is resumed (unless told not to); the other ones of this
    // prefix are retired, so an old checkpoint is never picked up by a later run.
    const interrupted = (await this.runs.findInterrupted('migrate')).filter(
      (run) => run.options.prefix === options.prefix,
    );
    // A run checkpointed before key fingerprints were kept cannot be resumed without counting
    // keys twice: it is retired, and a new run accounts for every key afresh.
    const candidate =
      request.autoResume === false || !interrupted[0] || !resumableExactly(interrupted[0])
        ? undefined
        : interrupted[0];
    for (const run of interrupted)
      await this.runs.markStatus(run.id, run === candidate ? 'running' : 'abandoned');
    if (candidate) {
      this.logger.log(
        `resuming interrupted run ${candidate.id} after ${candidate.checkpoint?.batches ?? 0} batches`,
      );
      return { run: candidate, resumed: true };
    }
    return { run: await this.runs.create('migrate', options), resumed: false };
  }

  private async resumeGiven(runId: string, options: MigrationRunOptions): Promise<StartedRun> {
    const run = await this.runs.findById(runId);
    if (!run) throw new MigrationRunNotFoundError(`no migration run ${runId}`, { runId });
    if (run.status === 'completed') {
      throw new RunNotResumableError(`run ${run.id} already completed`, {
        runId: run.id,
        status: run.status,
      });
    }
    if (run.options.prefix !== options.prefix) {
      throw new RunNotResumableError(
        `run ${run.id} migrated prefix "${run.options.prefix}", this process is configured for "${options.prefix}"`,
        { runId: run.id },
      );
    }
    if (!resumableExactly(run)) {
      throw new RunNotResumableError(
        `run ${run.id} was checkpointed before key fingerprints were kept; it cannot be resumed exactly: start a new run`,
        { runId: run.id },
      );
    }
    await this.runs.markStatus(run.id, 'running');
    return { run, resumed: true };
  }
}
