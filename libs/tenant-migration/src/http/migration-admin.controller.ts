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
  MigrationActionDto,
  MigrationQueryDto,
  misplacedProperties,
  NoQueryDto,
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
import { DEFAULT_SYNC_TIMEOUT_MS } from './sync-limit.js';
import { adminActions, POSTGRES, type AdminActions } from './admin-actions.js';
import { actorOf } from './request-actor.js';

/** The export's media type: one JSON document a line. */
const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

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

  /** The `?action=` forms, over the services below (see admin-actions.ts). */
  private readonly actions: AdminActions;

  constructor(
    migrations: MigrationService,
    private readonly runs: MigrationRunsService,
    backups: BackupService,
    integrity: IntegrityService,
    syncs: SyncService,
    cleanups: CleanupService,
    reports: ReportService,
    selfTests: MigrationTests,
    operations: OperationsService,
    @Inject(TENANT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
  ) {
    this.actions = adminActions(
      { migrations, runs, backups, integrity, syncs, cleanups, reports, selfTests, operations },
      () => this.syncTimeoutMs,
    );
  }

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
    const { needs, read } = this.actions.get[action];
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
    const { needs, run } = this.actions.post[body.action];
    // A bad request is a 400 whatever the stores; a valid one is refused (503) before it starts.
    await this.storesAnswer(needs);
    const answer = await run(body, actorOf(request));
    response.status(answer.status);
    // The address under wherever the host mounted this controller.
    if (answer.location)
      response.location(`${request.baseUrl}${request.path.replace(/\/+$/, '')}/${answer.location}`);
    return answer.body;
  }
}
