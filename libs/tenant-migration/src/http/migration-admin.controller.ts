import {
  BadRequestException,
  Body,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Logger,
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
  REPORT_SCHEMA,
  RunsResponse,
  StartedRunResponse,
  SyncResponse,
} from './admin-api.responses.js';
import { ApiProblemResponses } from './api-problem-responses.js';
import { assertStoresAnswer, type Store } from './store-readiness.js';
import { errorMessage } from '../common/error-message.js';

const BOTH: readonly Store[] = ['postgres', 'redis'];
const POSTGRES: readonly Store[] = ['postgres'];

/**
 * The stores each action reads or writes: they are asked before the action starts, so an outage
 * is a prompt 503 rather than an accepted run that fails later or a request that hangs.
 */
const GET_NEEDS: Record<(typeof GET_ACTIONS)[number], readonly Store[]> = {
  status: POSTGRES,
  runs: POSTGRES,
  backups: POSTGRES,
  check: BOTH,
  stats: BOTH,
  report: BOTH,
  test: BOTH,
};
const POST_NEEDS: Record<(typeof POST_ACTIONS)[number], readonly Store[]> = {
  migrate: BOTH,
  'dry-run': BOTH,
  // Validation reads Redis only: it still answers while PostgreSQL is down.
  validate: ['redis'],
  backup: BOTH,
  sync: BOTH,
  cleanup: BOTH,
};

/** The export's media type: one JSON document a line. */
const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/** Who the audit log names for what the admin API does. */
const ACTOR = 'admin-api';

/**
 * The admin API: `GET` actions only read; `POST` actions run. A migration runs in the
 * background and answers 202 with its run id as soon as the run is recorded; a backup answers
 * 201 with the recorded backup once its file is complete. Restores are CLI-only.
 *
 * Every route declares its query, with `NoQueryDto` where it takes none, so that an unknown
 * parameter is a 400 as an unknown body property is.
 *
 * Not routed by itself: `mountAdminController` gives it its path, guard, validation and error
 * mapping when the module is asked to mount it (`admin` option), and never without a guard.
 */
@ApiExtraModels(LastRunResponse, RunsResponse, BackupsResponse, BackupResponse, SyncResponse)
@ApiProblemResponses()
@Injectable() // emits the constructor's parameter types, which the mounted subclass inherits
export class MigrationAdminController {
  private readonly logger = new Logger('MigrationAdminController');

  constructor(
    private readonly migrations: MigrationService,
    private readonly runs: MigrationRunsService,
    private readonly backups: BackupService,
    private readonly integrity: IntegrityService,
    private readonly syncs: SyncService,
    private readonly cleanups: CleanupService,
    private readonly reports: ReportService,
    private readonly selfTests: MigrationTests,
    @Inject(TENANT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
  ) {}

  private storesAnswer(needs: readonly Store[]): Promise<void> {
    return assertStoresAnswer({ dataSource: this.dataSource, redis: this.redis }, needs);
  }

  @Get()
  @ApiOkResponse({
    description: 'What the action reads; see the README for each report.',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(LastRunResponse) },
        { $ref: getSchemaPath(RunsResponse) },
        { $ref: getSchemaPath(BackupsResponse) },
        REPORT_SCHEMA,
      ],
    },
  })
  async query(@Query() { action }: MigrationQueryDto) {
    await this.storesAnswer(GET_NEEDS[action]);
    if (action === 'backups') return { backups: await this.backups.list(20) };
    // A check reads both stores and writes nothing; its first 1,000 differences are listed.
    if (action === 'check') return this.integrity.check({ limit: 1000 });
    if (action === 'stats') return this.reports.stats();
    if (action === 'report') return this.reports.report(1000);
    // The self-test is read-only; a failed test is its finding (200, `passed: false`), not an error.
    if (action === 'test') return this.selfTests.runAllTests();
    const runs = await this.runs.latest(action === 'status' ? 1 : 20);
    return action === 'status' ? { lastRun: runs[0] ?? null } : { runs };
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
    description: 'validate, dry-run, sync and cleanup: what the action found or did.',
    schema: { oneOf: [{ $ref: getSchemaPath(SyncResponse) }, REPORT_SCHEMA] },
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
    // A bad request is a 400 whatever the stores; a valid one is refused (503) before it starts.
    await this.storesAnswer(POST_NEEDS[body.action]);
    if (body.action === 'backup') {
      const summary = body.postgres
        ? await this.backups.backupPostgres({ actor: ACTOR })
        : await this.backups.backupRedis({ actor: ACTOR });
      response.status(201);
      return summary;
    }
    if (body.action === 'cleanup')
      return this.cleanups.cleanup({ dryRun: body.confirm !== true, actor: ACTOR });
    if (body.action === 'sync') {
      return this.syncs.sync(body.subdomain ?? '', {
        prefer: body.prefer,
        dryRun: body.dryRun ?? false,
        actor: ACTOR,
      });
    }
    if (body.action === 'validate') return this.migrations.validateAll();
    if (body.action === 'dry-run' || body.dryRun) {
      return this.migrations.migrate({
        dryRun: true,
        batchSize: body.batchSize,
        conflictPolicy: body.conflictPolicy,
      });
    }
    const started = await new Promise<{ runId: string; resumed: boolean }>((resolve, reject) => {
      let running = false;
      this.migrations
        .migrate({
          batchSize: body.batchSize,
          conflictPolicy: body.conflictPolicy,
          onStart: (runId, resumed) => {
            running = true;
            resolve({ runId, resumed });
          },
        })
        .then((result) =>
          this.logger.log(`run ${result.runId} completed: ${JSON.stringify(result.counts)}`),
        )
        .catch((error: unknown) => {
          // Before the start the request is still waiting: it answers with the error (e.g. 409).
          // After it, the run has its 202 and records its failure; the log says so too.
          if (!running)
            return reject(error instanceof Error ? error : new Error(errorMessage(error)));
          this.logger.error(`migration failed: ${errorMessage(error)}`);
        });
    });
    // The run's address under wherever the host mounted this controller.
    response
      .status(202)
      .location(`${request.baseUrl}${request.path.replace(/\/+$/, '')}/runs/${started.runId}`);
    return { ...started, status: 'running' };
  }
}
