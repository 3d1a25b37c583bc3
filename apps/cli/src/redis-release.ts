import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '#tenant-migration';

/**
 * Drops the Redis connection when a command's application closes, before the Redis module's own
 * shutdown sends QUIT and awaits its reply: a server that stopped answering would hold the
 * process for the whole command timeout after the command had already reported its outcome.
 * By then the command has awaited every Redis reply it needs, so nothing is lost.
 */
@Injectable()
export class RedisRelease implements BeforeApplicationShutdown {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {}

  beforeApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
