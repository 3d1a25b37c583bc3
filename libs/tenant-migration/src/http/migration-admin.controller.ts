import {
  BadRequestException,
  Body,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiProduces,
  getSchemaPath,
} from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { BackupService } from '../backup/backup.service.js';
import { CleanupService } from '../integrity/cleanup.service.js';
import { IntegrityService } from '../integrity/integrity.service.js';
import { ReportService } from '../integrity/report.service.js';
import { SyncService } from '../integrity/sync.service.js';
import { MigrationRunsService } from '../migration/migration-runs.service.js';
import { MigrationService } from '../migration/migration.service.js';
import { MigrationTests } from '../self-test/migration-tests.service.js';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { TENANT_DATA_SOURCE } from '../tenant-migration.tokens.js';
import {
  ExceptionFilterQueryDto,
  ExceptionPageQueryDto,
  GET_ACTIONS,
  MigrationActionDto,
  MigrationQueryDto,
  misplacedProperties,
  NoQueryDto,
  POST_ACTIONS,
} from './migration-action.dto.js';
import {
  BackupResponse,
  BackupsResponse,
  ExceptionPageResponse,
  LastRunResponse,
  MigrationRunResponse,
  RunsResponse,
  StartedRunResponse,
  SyncResponse,
} from './admin-api.responses.js';
import {
  CleanupResultResponse,
  IntegrityReportResponse,
  MigrationReportResponse,
  MigrationResultResponse,
  MigrationStatsResponse,
  SelfTestReportResponse,
  ValidationReportResponse,
} from './report.responses.js';
import { ApiProblemResponses } from './api-problem-responses.js';
import { assertStoresAnswer, type Store } from './store-readiness.js';
import { OperationsService } from '../operations/operations.service.js';
import { DEFAULT_SYNC_TIMEOUT_MS, withinLimit } from './sync-limit.js';
import { actorOf } from './request-actor.js';

const BOTH: readonly Store[] = ['postgres', 'redis'];
const POSTGRES: readonly Store[] = ['postgres'];

type GetAction = (typeof GET_ACTIONS)[number];
type PostAction = (typeof POST_ACTIONS)[number];

/** What a `POST` action answers: its status, body and, for a started run, its address. */
interface ActionAnswer {
  status: 200 | 201 | 202;
  body: unknown;
  /** Relative to the controller's path. */
  location?: string;
}

/** The export's media type: one JSON document a line. */
const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/**
 * How long `POST {"action":"migrate"}` waits for a worker to record the run it answers with. An
 * app that only enqueues, with no worker free, answers the queued operation after this.
 */
const RUN_START_WAIT_MS = 10_000;

/**
 * The admin API's `?action=` routes: `GET` actions only read; `POST` actions run. A migration
 * is an operation a worker runs in the background: it answers 202 with its run id (and its
 * operation's) as soon as the run is recorded; a backup answers 201 with the recorded backup
 * once its file is complete. Restores are operations only (`POST .../operations`).
 *
 * Every route declares its query, with `NoQueryDto` where it takes none, so that an unknown
 * parameter is a 400 as an unknown body property is.
 *
 * Not routed by itself: `mountAdminControllers` gives it its path, guard, validation and error
 * mapping when the module is asked to mount it (`admin` option), and never without a guard.
 */
@ApiExtraModels(
  LastRunResponse,
  RunsResponse,
  BackupsResponse,
  BackupResponse,
  SyncResponse,
  IntegrityReportResponse,
  MigrationStatsResponse,
  MigrationReportResponse,
  SelfTestReportResponse,
  ValidationReportResponse,
  MigrationResultResponse,
  CleanupResultResponse,
)
@ApiProblemResponses()
@Injectable() // emits the constructor's parameter types, which the mounted subclass inherits
export class MigrationAdminController {
  /** See `AdminControllerMount.syncTimeoutMs`; the mounted subclass sets it. */
  protected readonly syncTimeoutMs: number = DEFAULT_SYNC_TIMEOUT_MS;

  constructor(
    private readonly migrations: MigrationService,
    private readonly runs: MigrationRunsService,
    private readonly backups: BackupService,
    private readonly integrity: IntegrityService,
    private readonly syncs: SyncService,
    private readonly cleanups: CleanupService,
    private readonly reports: ReportService,
    private readonly selfTests: MigrationTests,
    private readonly operations: OperationsService,
    @Inject(TENANT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
  ) {}

  private storesAnswer(needs: readonly Store[]): Promise<void> {
    return assertStoresAnswer({ dataSource: this.dataSource, redis: this.redis }, needs);
  }

  @Get()
  @ApiOkResponse({
    description:
      'What the action reads: status, runs, backups, check (the integrity report), stats, ' +
      'report (stats and check) or test (the self-test).',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(LastRunResponse) },
        { $ref: getSchemaPath(RunsResponse) },
        { $ref: getSchemaPath(BackupsResponse) },
        { $ref: getSchemaPath(IntegrityReportResponse) },
        { $ref: getSchemaPath(MigrationStatsResponse) },
        { $ref: getSchemaPath(MigrationReportResponse) },
        { $ref: getSchemaPath(SelfTestReportResponse) },
      ],
    },
  })
  async query(@Query() { action }: MigrationQueryDto) {
    const { needs, read } = this.getActions[action];
    await this.storesAnswer(needs);
    return read();
  }

  @Get('runs/:id')
  @ApiProblemResponses([404])
  @ApiOkResponse({ type: MigrationRunResponse })
  async run(@Param('id', new ParseUUIDPipe()) id: string, @Query() _query: NoQueryDto) {
    await this.storesAnswer(POSTGRES);
    return this.runs.get(id);
  }

  @Get('runs/:id/exceptions')
  @ApiProblemResponses([404])
  @ApiOkResponse({ type: ExceptionPageResponse })
  async exceptions(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() page: ExceptionPageQueryDto,
  ) {
    await this.storesAnswer(POSTGRES);
    // An unknown run is a 404, not an empty list that looks like a clean run.
    return this.runs.exceptionPage(id, page);
  }

  /**
   * The quarantine as NDJSON, streamed a page of rows at a time. The run is looked up first,
   * so an unknown one is a 404 problem document; a store lost mid-stream cuts the response off
   * (never a clean end that would look like the whole quarantine).
   */
  @Get('runs/:id/exceptions/export')
  @ApiProblemResponses([404])
  @ApiProduces(NDJSON_CONTENT_TYPE)
  @ApiOkResponse({
    description: 'One quarantined key a line, each an `exceptions` item of a page.',
    content: { [NDJSON_CONTENT_TYPE]: { schema: { type: 'string' } } },
  })
  async exportExceptions(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() filters: ExceptionFilterQueryDto,
  ): Promise<StreamableFile> {
    await this.storesAnswer(POSTGRES);
    const lines = await this.runs.exportExceptions(id, filters);
    return new StreamableFile(Readable.from(lines), { type: NDJSON_CONTENT_TYPE });
  }

  @Post()
  @HttpCode(200)
  @ApiBody({ type: MigrationActionDto })
  @ApiProblemResponses([404, 409, 415])
  @ApiOkResponse({
    description:
      'What the action found or did: validate (the validation report), dry-run (and migrate ' +
      "with dryRun: the run's result), sync, cleanup.",
    schema: {
      oneOf: [
        { $ref: getSchemaPath(ValidationReportResponse) },
        { $ref: getSchemaPath(MigrationResultResponse) },
        { $ref: getSchemaPath(SyncResponse) },
        { $ref: getSchemaPath(CleanupResultResponse) },
      ],
    },
  })
  @ApiCreatedResponse({ description: 'backup: the recorded backup.', type: BackupResponse })
  @ApiAcceptedResponse({
    description: 'migrate: the run goes on in the background; `Location` is its address.',
    type: StartedRunResponse,
    headers: {
      Location: { description: 'The run: `<path>/runs/<runId>`.', schema: { type: 'string' } },
    },
  })
  async action(
    @Body() body: MigrationActionDto,
    @Query() _query: NoQueryDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const misplaced = misplacedProperties(body);
    if (misplaced.length > 0)
      throw new BadRequestException(
        misplaced.map((p) => `property ${p} cannot be used with action ${body.action}`),
      );
    const { needs, run } = this.postActions[body.action];
    // A bad request is a 400 whatever the stores; a valid one is refused (503) before it starts.
    await this.storesAnswer(needs);
    const answer = await run(body, actorOf(request));
    response.status(answer.status);
    // The address under wherever the host mounted this controller.
    if (answer.location)
      response.location(`${request.baseUrl}${request.path.replace(/\/+$/, '')}/${answer.location}`);
    return answer.body;
  }

  /**
   * `GET` actions: the stores each reads (asked first, so an outage is a prompt 503) and what it
   * answers.
   */
  private readonly getActions: Record<
    GetAction,
    { needs: readonly Store[]; read: () => Promise<unknown> }
  > = {
    status: {
      needs: POSTGRES,
      read: async () => ({ lastRun: (await this.runs.latest(1))[0] ?? null }),
    },
    runs: { needs: POSTGRES, read: async () => ({ runs: await this.runs.latest(20) }) },
    backups: { needs: POSTGRES, read: async () => ({ backups: await this.backups.list(20) }) },
    // A check reads both stores and writes nothing; its first 1,000 differences are listed.
    check: {
      needs: BOTH,
      read: () =>
        withinLimit(this.syncTimeoutMs, 'check', (signal) =>
          this.integrity.check({ limit: 1000, signal }),
        ),
    },
    stats: { needs: BOTH, read: () => this.reports.stats() },
    report: { needs: BOTH, read: () => this.reports.report(1000) },
    // The self-test is read-only; a failed test is its finding (200, `passed: false`), not an error.
    test: { needs: BOTH, read: () => this.selfTests.runAllTests() },
  };

  /**
   * `POST` actions: the stores each needs and what it does. A migration is an operation (its
   * worker runs it in the background); the others answer when they are done, as the spec's
   * synchronous forms do.
   */
  private readonly postActions: Record<
    PostAction,
    {
      needs: readonly Store[];
      run: (body: MigrationActionDto, actor: string) => Promise<ActionAnswer>;
    }
  > = {
    migrate: {
      needs: BOTH,
      run: (body, actor) => (body.dryRun ? this.dryRun(body) : this.startMigration(body, actor)),
    },
    'dry-run': { needs: BOTH, run: (body) => this.dryRun(body) },
    // Validation reads Redis only: it still answers while PostgreSQL is down.
    validate: {
      needs: ['redis'],
      run: async () => ({
        status: 200,
        body: await withinLimit(this.syncTimeoutMs, 'validate', (signal) =>
          this.migrations.validateAll(undefined, signal),
        ),
      }),
    },
    backup: {
      needs: BOTH,
      run: async (body, actor) => ({
        status: 201,
        body: body.postgres
          ? await this.backups.backupPostgres({ actor })
          : await withinLimit(this.syncTimeoutMs, 'backup', (signal) =>
              this.backups.backupRedis({ actor, signal }),
            ),
      }),
    },
    sync: {
      needs: BOTH,
      run: async (body, actor) => ({
        status: 200,
        body: await this.syncs.sync(body.subdomain ?? '', {
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
        body: await this.cleanups.cleanup({ dryRun: body.confirm !== true, actor }),
      }),
    },
  };

  private async dryRun(body: MigrationActionDto): Promise<ActionAnswer> {
    const result = await withinLimit(this.syncTimeoutMs, 'dry-run', (signal) =>
      this.migrations.migrate({
        dryRun: true,
        batchSize: body.batchSize,
        conflictPolicy: body.conflictPolicy,
        signal,
      }),
    );
    return { status: 200, body: result };
  }

  /**
   * A migration as an operation: answered once its worker has recorded the run (202, the run's
   * address), or, when no worker took it in time, with the queued operation's id.
   */
  private async startMigration(body: MigrationActionDto, actor: string): Promise<ActionAnswer> {
    const params = {
      ...(body.batchSize !== undefined ? { batchSize: body.batchSize } : {}),
      ...(body.conflictPolicy !== undefined ? { conflictPolicy: body.conflictPolicy } : {}),
    };
    const { operation, resumed } = await this.operations.startMigration(
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
  }
}
