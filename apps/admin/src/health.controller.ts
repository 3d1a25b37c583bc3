import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthResponse, TERMINUS_HEALTH_SCHEMA } from './health.responses.js';
import type { Response } from 'express';
import { BackupDiskHealthIndicator } from './backup-disk-health.indicator.js';
import { StoreHealthIndicator } from './store-health.indicator.js';
import { StoreProbe } from './store-probe.js';

/**
 * Unauthenticated health routes, saying nothing but up or down: `GET /health` (both stores, the
 * document it has always answered), `GET /health/live` (the process) and `GET /health/ready`
 * (both stores and the backup folder's free space, in terminus' document). Never rate-limited:
 * an orchestrator's probes must not be refused.
 */
@Controller('health')
@SkipThrottle()
@ApiTags('health')
export class HealthController {
  constructor(
    private readonly stores: StoreProbe,
    private readonly health: HealthCheckService,
    private readonly storeIndicators: StoreHealthIndicator,
    private readonly disk: BackupDiskHealthIndicator,
  ) {}

  /** 200 or 503 with the same status document: a probe reads the stores, not an error. */
  @Get()
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ description: 'A store is down.', type: HealthResponse })
  async check(@Res({ passthrough: true }) response: Response) {
    const [postgres, redis] = await Promise.all([this.stores.postgres(), this.stores.redis()]);
    const body = { status: postgres === 'up' && redis === 'up' ? 'ok' : 'error', postgres, redis };
    if (body.status !== 'ok') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }

  /** The process answers: no store is contacted, so an outage never restarts the app. */
  @Get('live')
  @HealthCheck()
  @ApiOkResponse({ schema: TERMINUS_HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({ schema: TERMINUS_HEALTH_SCHEMA })
  live(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.answer(response, []);
  }

  /** Whether the app can do its work now: PostgreSQL, Redis and room for a backup. */
  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ schema: TERMINUS_HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({ schema: TERMINUS_HEALTH_SCHEMA })
  ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.answer(response, [
      () => this.storeIndicators.postgres(),
      () => this.storeIndicators.redis(),
      () => this.disk.check(),
    ]);
  }

  /**
   * Terminus' result: 200, or the 503 it throws with the same document (`status`, `info`,
   * `error`, `details`), answered here as it is rather than by the app's problem-document
   * filter, which would drop which check failed.
   */
  private async answer(
    response: Response,
    indicators: HealthIndicatorFunction[],
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(indicators);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      // Terminus throws the exception with its result as the response body.
      return error.getResponse() as HealthCheckResult;
    }
  }
}
