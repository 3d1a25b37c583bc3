import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblemResponses } from '#tenant-migration';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/** `GET /metrics`: the Prometheus exposition text, behind the metrics bearer token. */
@Controller()
@UseGuards(MetricsTokenGuard)
@ApiTags('metrics')
@ApiBearerAuth()
@ApiProblemResponses([401, 429, 503])
export class MetricsController extends PrometheusController {
  @Get()
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The Prometheus exposition text.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}
