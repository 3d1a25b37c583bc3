import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { scanPatternFor } from '../source/key-name.js';
import { redisReady } from '../common/redis-ready.js';

/** The read-only Redis commands of the self-test's connectivity check: PING, INFO and one SCAN page. */
@Injectable()
export class SelfTestRedisRepository {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {}

  /** Waits for the client's connection (see `redisReady`). */
  ready(timeoutMs: number): Promise<void> {
    return redisReady(this.redis, timeoutMs);
  }

  ping(): Promise<string> {
    return this.redis.ping();
  }

  /** The `INFO server` text. */
  serverInfo(): Promise<string> {
    return this.redis.info('server');
  }

  /** One SCAN page of the keys under the prefix: the next cursor and the names. */
  scanPage(prefix: string, cursor: string, count: number): Promise<[string, string[]]> {
    return this.redis.scan(cursor, 'MATCH', scanPatternFor(prefix), 'COUNT', count);
  }

  /** Where Redis is, without credentials. */
  target(): string {
    const { host, port, db, path } = this.redis.options;
    return path ? path : `${host ?? 'localhost'}:${port ?? 6379}${db ? `/${db}` : ''}`;
  }
}
