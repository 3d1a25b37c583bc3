import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import { TENANT_REDIS, withTimeout } from '#tenant-migration';

/**
 * How long each store may take to answer. An unreachable Redis otherwise holds the ping in
 * the client's offline queue through all its reconnection attempts, and the probe times out
 * instead of getting its 503.
 */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

const probe = (check: Promise<unknown>, store: string): Promise<'up' | 'down'> =>
  withTimeout(check, HEALTH_CHECK_TIMEOUT_MS, store).then(
    () => 'up' as const,
    () => 'down' as const,
  );

/** `GET /health`: unauthenticated liveness of both stores; says nothing else. */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
  ) {}

  /** 200 or 503 with the same status document: a probe reads the stores, not an error. */
  @Get()
  async check(@Res({ passthrough: true }) response: Response) {
    const [postgres, redis] = await Promise.all([
      probe(this.dataSource.query('SELECT 1'), 'PostgreSQL'),
      probe(this.redis.ping(), 'Redis'),
    ]);
    const body = { status: postgres === 'up' && redis === 'up' ? 'ok' : 'error', postgres, redis };
    if (body.status !== 'ok') response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
