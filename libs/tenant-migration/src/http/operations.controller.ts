import {
  BadRequestException,
  Body,
  Get,
  Headers,
  HttpCode,
  Injectable,
  Logger,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProduces,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { errorMessage } from '../common/error-message.js';
import { AuditTrailService } from '../audit/audit-trail.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { NoQueryDto } from './migration-action.dto.js';
import {
  AuditPageQueryDto,
  CreateOperationDto,
  OperationListQueryDto,
  paramsOf,
} from './operation.dto.js';
import {
  AuditPageResponse,
  OPERATION_RESULTS,
  OperationPageResponse,
  OperationResponse,
} from './operation.responses.js';
import { ApiProblemResponses } from './api-problem-responses.js';
import { BODILESS_ROUTE } from './json-only.interceptor.js';
import { actorOf } from './request-actor.js';

/** The event stream's media type. */
const EVENT_STREAM = 'text/event-stream';
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
/** How long an `EventSource` waits before it reconnects. */
const RETRY_MS = 2000;

const Bodiless = () => SetMetadata(BODILESS_ROUTE, true);

/** A `Last-Event-ID` header: an event id (digits), or absent for the whole stream. */
const afterEventOf = (header: string | undefined): string => {
  if (header === undefined || header === '') return '0';
  if (!/^\d{1,18}$/.test(header))
    throw new BadRequestException('Last-Event-ID must be the id of an event of this stream');
  return header;
};

/**
 * The admin API's resources: operations (every long task, as a durable job) and the audit
 * log. Starting an operation answers 202 at once with its address; a worker runs it.
 *
 * Not routed by itself: `mountAdminControllers` routes it beside the `?action=` controller,
 * behind the same guard, pipes and error mapping.
 */
@ApiExtraModels(...OPERATION_RESULTS)
@ApiProblemResponses()
@Injectable()
export class OperationsController {
  private readonly logger = new Logger('OperationsController');

  constructor(
    private readonly operations: OperationsService,
    private readonly audit: AuditTrailService,
  ) {}

  @Post('operations')
  @HttpCode(202)
  @ApiBody({ type: CreateOperationDto })
  @ApiProblemResponses([409, 415])
  @ApiAcceptedResponse({
    description: 'Queued; `Location` is its address.',
    type: OperationResponse,
    headers: { Location: { description: 'The operation.', schema: { type: 'string' } } },
  })
  async create(
    @Body() body: CreateOperationDto,
    @Query() _query: NoQueryDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const operation = await this.operations.start({
      kind: body.kind,
      params: paramsOf(body),
      actor: actorOf(request),
    });
    response.location(`${request.baseUrl}${request.path.replace(/\/+$/, '')}/${operation.id}`);
    return operation;
  }

  @Get('operations')
  @ApiOkResponse({ type: OperationPageResponse })
  list(@Query() query: OperationListQueryDto) {
    return this.operations.list(
      { kind: query.kind, status: query.status },
      query.offset,
      query.limit,
    );
  }

  @Get('operations/:id')
  @ApiProblemResponses([404])
  @ApiOkResponse({ type: OperationResponse })
  get(@Param('id', new ParseUUIDPipe()) id: string, @Query() _query: NoQueryDto) {
    return this.operations.get(id);
  }

  /**
   * Server-sent events: `status`, `progress` and `run` events as they are recorded, then the
   * `result`; each with its id, so a client that reconnects with `Last-Event-ID` hears only
   * what it missed. A stream whose operation settled with nothing new answers 204.
   */
  @Get('operations/:id/events')
  @ApiProblemResponses([404])
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event.' })
  @ApiProduces(EVENT_STREAM)
  @ApiOkResponse({
    description: 'An event stream: `id`, `event` (status, progress, run, result) and JSON `data`.',
    content: { [EVENT_STREAM]: { schema: { type: 'string' } } },
  })
  @ApiNoContentResponse({ description: 'The operation settled and the client heard everything.' })
  async events(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() _query: NoQueryDto,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const after = afterEventOf(lastEventId);
    if (after !== '0' && (await this.operations.streamOver(id, after))) {
      response.status(204).end();
      return;
    }
    const stream = this.operations.events(id, after, closedSignal(request));
    // The first event is read before the headers go out, so an unknown operation is still a 404.
    const first = await stream.next();
    response.status(200).set({
      'Content-Type': `${EVENT_STREAM}; charset=utf-8`,
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    response.write(`retry: ${RETRY_MS}\n\n`);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    try {
      if (!first.done) {
        response.write(eventText(first.value));
        for await (const event of stream) response.write(eventText(event));
      }
    } catch (error) {
      // The headers are out: the stream ends, and the client reconnects with its last id.
      this.logger.warn(`event stream of operation ${id} cut: ${errorMessage(error)}`);
    } finally {
      clearInterval(keepAlive);
      response.end();
    }
  }

  @Post('operations/:id/cancel')
  @HttpCode(202)
  @Bodiless()
  @ApiProblemResponses([404, 409])
  @ApiAcceptedResponse({
    description: 'Cancelled, or cancelling at its next batch.',
    type: OperationResponse,
  })
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Query() _query: NoQueryDto) {
    return this.operations.cancel(id);
  }

  @Post('operations/:id/pause')
  @HttpCode(202)
  @Bodiless()
  @ApiProblemResponses([404, 409])
  @ApiAcceptedResponse({ description: 'Pausing at its next batch.', type: OperationResponse })
  pause(@Param('id', new ParseUUIDPipe()) id: string, @Query() _query: NoQueryDto) {
    return this.operations.pause(id);
  }

  @Post('operations/:id/resume')
  @HttpCode(202)
  @Bodiless()
  @ApiProblemResponses([404, 409])
  @ApiAcceptedResponse({ description: 'Queued again.', type: OperationResponse })
  resume(@Param('id', new ParseUUIDPipe()) id: string, @Query() _query: NoQueryDto) {
    return this.operations.resume(id);
  }

  @Get('audit')
  @ApiOkResponse({ type: AuditPageResponse })
  auditPage(@Query() query: AuditPageQueryDto) {
    return this.audit.page(query.offset, query.limit);
  }
}

/** Aborted when the client goes away. */
const closedSignal = (request: Request): AbortSignal => {
  const closed = new AbortController();
  request.on('close', () => closed.abort());
  return closed.signal;
};

const eventText = (event: { id: string; type: string; data: Record<string, unknown>; at: Date }) =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`;
