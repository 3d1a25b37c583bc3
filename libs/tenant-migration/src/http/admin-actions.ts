/**
 * The spec's `?action=` forms as two tables: for each action, the stores it needs (asked
 * first, so an outage is a prompt 503) and the one service call it makes. The controller parses
 * and presents; what each action does is decided here, not in an if-chain.
 */
import type { BackupService } from '../backup/backup.service.js';
import type { CleanupService } from '../integrity/cleanup.service.js';
import type { IntegrityService } from '../integrity/integrity.service.js';
import type { ReportService } from '../integrity/report.service.js';
import type { SyncService } from '../integrity/sync.service.js';
import type { MigrationRunsService } from '../migration/migration-runs.service.js';
import type { MigrationService } from '../migration/migration.service.js';
import type { OperationsService } from '../operations/operations.service.js';
import type { MigrationTests } from '../self-test/migration-tests.service.js';
import type { GET_ACTIONS, MigrationActionDto, POST_ACTIONS } from './migration-action.dto.js';
import type { Store } from './store-readiness.js';
import { withinLimit } from './sync-limit.js';

export const BOTH: readonly Store[] = ['postgres', 'redis'];
export const POSTGRES: readonly Store[] = ['postgres'];

type GetAction = (typeof GET_ACTIONS)[number];
type PostAction = (typeof POST_ACTIONS)[number];

/** What a `POST` action answers: its status, body and, for a started run, its address. */
export interface ActionAnswer {
  status: 200 | 201 | 202;
  body: unknown;
  /** Relative to the controller's path. */
  location?: string;
}

/**
 * How long `POST {"action":"migrate"}` waits for a worker to record the run it answers with. An
 * app that only enqueues, with no worker free, answers the queued operation after this.
 */
const RUN_START_WAIT_MS = 10_000;

/** The services the actions call. */
export interface AdminActionServices {
  migrations: MigrationService;
  runs: MigrationRunsService;
  backups: BackupService;
  integrity: IntegrityService;
  syncs: SyncService;
  cleanups: CleanupService;
  reports: ReportService;
  selfTests: MigrationTests;
  operations: OperationsService;
}

export interface AdminActions {
  get: Record<GetAction, { needs: readonly Store[]; read: () => Promise<unknown> }>;
  post: Record<
    PostAction,
    {
      needs: readonly Store[];
      run: (body: MigrationActionDto, actor: string) => Promise<ActionAnswer>;
    }
  >;
}

/**
 * The action tables over the given services. `syncTimeoutMs` is read at each request: the
 * synchronous forms that can stop midway are stopped with a 503 after it.
 */
export const adminActions = (
  services: AdminActionServices,
  syncTimeoutMs: () => number,
): AdminActions => {
  const { migrations, runs, backups, integrity, syncs, cleanups, reports, selfTests } = services;

  const dryRun = async (body: MigrationActionDto): Promise<ActionAnswer> => ({
    status: 200,
    body: await withinLimit(syncTimeoutMs(), 'dry-run', (signal) =>
      migrations.migrate({
        dryRun: true,
        batchSize: body.batchSize,
        conflictPolicy: body.conflictPolicy,
        signal,
      }),
    ),
  });

  /**
   * A migration as an operation: answered once its worker has recorded the run (202, the run's
   * address), or, when no worker took it in time, with the queued operation's id.
   */
  const startMigration = async (body: MigrationActionDto, actor: string): Promise<ActionAnswer> => {
    const params = {
      ...(body.batchSize !== undefined ? { batchSize: body.batchSize } : {}),
      ...(body.conflictPolicy !== undefined ? { conflictPolicy: body.conflictPolicy } : {}),
    };
    const { operation, resumed } = await services.operations.startMigration(
      params,
      actor,
      RUN_START_WAIT_MS,
    );
    if (!operation.runId)
      return {
        status: 202,
        body: { runId: null, resumed: false, status: 'queued', operationId: operation.id },
      };
    return {
      status: 202,
      body: { runId: operation.runId, resumed, status: 'running', operationId: operation.id },
      location: `runs/${operation.runId}`,
    };
  };

  return {
    get: {
      status: {
        needs: POSTGRES,
        read: async () => ({ lastRun: (await runs.latest(1))[0] ?? null }),
      },
      runs: { needs: POSTGRES, read: async () => ({ runs: await runs.latest(20) }) },
      backups: { needs: POSTGRES, read: async () => ({ backups: await backups.list(20) }) },
      // A check reads both stores and writes nothing; its first 1,000 differences are listed.
      check: {
        needs: BOTH,
        read: () =>
          withinLimit(syncTimeoutMs(), 'check', (signal) =>
            integrity.check({ limit: 1000, signal }),
          ),
      },
      stats: { needs: BOTH, read: () => reports.stats() },
      report: { needs: BOTH, read: () => reports.report(1000) },
      // The self-test is read-only; a failed test is its finding (200, `passed: false`), not an error.
      test: { needs: BOTH, read: () => selfTests.runAllTests() },
    },
    // A migration is an operation (its worker runs it in the background); the others answer
    // when they are done, as the spec's synchronous forms do.
    post: {
      migrate: {
        needs: BOTH,
        run: (body, actor) => (body.dryRun ? dryRun(body) : startMigration(body, actor)),
      },
      'dry-run': { needs: BOTH, run: (body) => dryRun(body) },
      // Validation reads Redis only: it still answers while PostgreSQL is down.
      validate: {
        needs: ['redis'],
        run: async () => ({
          status: 200,
          body: await withinLimit(syncTimeoutMs(), 'validate', (signal) =>
            migrations.validateAll(undefined, signal),
          ),
        }),
      },
      backup: {
        needs: BOTH,
        run: async (body, actor) => ({
          status: 201,
          body: body.postgres
            ? await backups.backupPostgres({ actor })
            : await withinLimit(syncTimeoutMs(), 'backup', (signal) =>
                backups.backupRedis({ actor, signal }),
              ),
        }),
      },
      sync: {
        needs: BOTH,
        run: async (body, actor) => ({
          status: 200,
          body: await syncs.sync(body.subdomain ?? '', {
            prefer: body.prefer,
            dryRun: body.dryRun ?? false,
            actor,
          }),
        }),
      },
      cleanup: {
        needs: BOTH,
        run: async (body, actor) => ({
          status: 200,
          body: await cleanups.cleanup({ dryRun: body.confirm !== true, actor }),
        }),
      },
    },
  };
};
