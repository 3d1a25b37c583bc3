import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Redis } from 'ioredis';
import { PostgresSessionFactory, redactUrl, redisReady, StoreUnavailableError, TENANT_REDIS } from '#tenant-migration';
import { type EnvironmentVariables, resolveRedisEndpoint } from '../../shared/environment.js';

/**
 * Connects to the stores a command needs, before it starts, so that an unreachable store or
 * a missing schema is one clear line naming the URL (without its password).
 */
@Injectable()
export class StorePreflight {
  constructor(
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: PostgresSessionFactory,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** PostgreSQL (connected, schema up to date) and, unless told otherwise, Redis. */
  async assertStores({ redis = true }: { redis?: boolean } = {}): Promise<void> {
    await this.assertPostgres();
    if (redis) await this.assertRedis();
  }

  async assertPostgres(): Promise<void> {
    if (!this.dataSource.isInitialized) {
      try {
        await this.dataSource.initialize();
      } catch (error) {
        const url = redactUrl(this.config.get('DATABASE_URL', { infer: true }));
        throw new StoreUnavailableError(`cannot reach PostgreSQL at ${url}`, {}, { cause: error });
      }
    }
    const session = await this.sessions.open();
    try {
      await this.sessions.assertSchema(session.client);
    } finally {
      await session.release();
    }
  }

  async assertRedis(): Promise<void> {
    try {
      await redisReady(this.redis, 5000);
      await this.redis.ping();
    } catch (error) {
      const { url } = resolveRedisEndpoint({
        REDIS_URL: this.config.get('REDIS_URL', { infer: true }),
        UPSTASH_REDIS_REST_URL: this.config.get('UPSTASH_REDIS_REST_URL', { infer: true }),
        UPSTASH_REDIS_REST_TOKEN: this.config.get('UPSTASH_REDIS_REST_TOKEN', { infer: true }),
      });
      throw new StoreUnavailableError(`cannot reach Redis at ${redactUrl(url)}`, {}, { cause: error });
    }
  }

  /** Another Redis than the configured one (a restore target): connects, pings, disconnects. */
  async assertRedisAt(url: string): Promise<void> {
    const client = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      throw new StoreUnavailableError(`cannot reach Redis at ${redactUrl(url)}`, {}, { cause: error });
    } finally {
      client.disconnect();
    }
  }
}
