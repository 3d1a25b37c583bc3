import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { OperationsService, SETTLED_STATUSES, type Operation } from '#tenant-migration';
import { CliOutput } from './cli-output.service.js';
import { ExitCode } from './exit-codes.js';

/** How often a followed operation is read. */
const POLL_MS = 500;
/** How long an operation may stay queued before the follower says no worker seems to take it. */
const QUEUED_HINT_MS = 10_000;

/**
 * Follows an operation a worker runs (the admin app's, or `npm run worker` on any machine) until
 * it settles: its progress as every long command shows its own (a bar on a terminal, otherwise
 * a line every PROGRESS_INTERVAL_MS on stderr), and the settled operation. The CLI runs nothing
 * itself; Ctrl-C stops the following, not the operation.
 */
@Injectable()
export class OperationFollower {
  constructor(
    private readonly operations: OperationsService,
    private readonly out: CliOutput,
  ) {}

  async follow(id: string, pollMs = POLL_MS): Promise<Operation> {
    const since = Date.now();
    let hinted = false;
    let phase: string | null = null;
    let report: ((done: number, total?: number | null) => void) | null = null;
    for (;;) {
      const operation = await this.operations.get(id);
      if (SETTLED_STATUSES.has(operation.status)) {
        this.out.stopProgress();
        return operation;
      }
      if (operation.status === 'queued' && !hinted && Date.now() - since >= QUEUED_HINT_MS) {
        hinted = true;
        this.out.err(
          `operation ${id} is still queued after ${QUEUED_HINT_MS / 1000} s: no worker has taken it; ` +
            'the admin app (npm start) or a worker (npm run worker) with the same DATABASE_URL runs it',
        );
      }
      const progress = operation.progress;
      if (progress) {
        if (progress.phase !== phase || !report) {
          phase = progress.phase;
          report = this.out.count(phase, progress.unit);
        }
        report(progress.done, progress.total);
      }
      await sleep(pollMs);
    }
  }
}

/**
 * The exit code of a followed operation once it settled: 0 succeeded, 3 failed (it could not
 * run to its end), 1 paused, cancelled or interrupted (it ended without its result, for now).
 */
export const followedExitCode = (operation: Operation): number => {
  switch (operation.status) {
    case 'succeeded':
      return ExitCode.Clean;
    case 'failed':
      return ExitCode.CouldNotRun;
    default:
      return ExitCode.Findings;
  }
};
