import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { StoreProbe } from './store-probe.js';

/** `GET /health`: unauthenticated liveness of both stores; says nothing else. */
@Controller('health')
export class HealthController {
  constructor(private readonly stores: StoreProbe) {}

  /** 200 or 503 with the same status document: a probe reads the stores, not an error. */
  @Get()
  async check(@Res({ passthrough: true }) response: Response) {
    const [postgres, redis] = await Promise.all([this.stores.postgres(), this.stores.redis()]);
    const body = { status: postgres === 'up' && redis === 'up' ? 'ok' : 'error', postgres, redis };
    if (body.status !== 'ok') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
