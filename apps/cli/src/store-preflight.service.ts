import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Redis } from 'ioredis';
import {
  PostgresSessionFactory,
  redactUrl,
  redisReady,
  StoreUnavailableError,
  TENANT_REDIS,
} from '#tenant-migration';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { configuredRedisEndpoint, type RedisEndpoint } from '../../shared/redis-endpoint.js';
import { VerboseLog } from './verbose-log.service.js';

const SOURCES: Record<RedisEndpoint['source'], string> = {
  REDIS_URL: 'from REDIS_URL',
  UPSTASH: 'derived from UPSTASH_REDIS_REST_URL',
  default: 'the default: REDIS_URL is unset',
};

/**
 * Connects to the stores a command needs, before it starts, so that an unreachable store or
 * a missing schema is one clear line naming the URL (without its password). The verbose log
 * says which stores a command uses, and how long each took to answer.
 */
@Injectable()
export class StorePreflight {
  constructor(
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: PostgresSessionFactory,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly verbose: VerboseLog,
  ) {}

  /** PostgreSQL (connected, schema up to date) and, unless told otherwise, Redis. */
  async assertStores({ redis = true }: { redis?: boolean } = {}): Promise<void> {
    await this.assertPostgres();
    if (redis) await this.assertRedis();
  }

  async assertPostgres(): Promise<void> {
    const url = redactUrl(this.config.get('DATABASE_URL', { infer: true }));
    const started = Date.now();
    this.verbose.log(`PostgreSQL: connecting to ${url}`);
    if (!this.dataSource.isInitialized) {
      try {
        await this.dataSource.initialize();
      } catch (error) {
        throw new StoreUnavailableError(`cannot reach PostgreSQL at ${url}`, {}, { cause: error });
      }
    }
    const session = await this.sessions.open();
    try {
      await this.sessions.assertSchema(session.client);
    } finally {
      await session.release();
    }
    this.verbose.log(`PostgreSQL: connected, schema up to date (${Date.now() - started} ms)`);
  }

  async assertRedis(): Promise<void> {
    const { url, source } = configuredRedisEndpoint(this.config);
    const started = Date.now();
    this.verbose.log(`Redis: connecting to ${redactUrl(url)} (${SOURCES[source]})`);
    try {
      await redisReady(this.redis, 5000);
      await this.redis.ping();
    } catch (error) {
      throw new StoreUnavailableError(
        `cannot reach Redis at ${redactUrl(url)}`,
        {},
        { cause: error },
      );
    }
    this.verbose.log(`Redis: answered PING (${Date.now() - started} ms)`);
  }

  /** Another Redis than the configured one (a restore target): connects, pings, disconnects. */
  async assertRedisAt(url: string): Promise<void> {
    const started = Date.now();
    this.verbose.log(`Redis (restore target): connecting to ${redactUrl(url)}`);
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 5000,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      throw new StoreUnavailableError(
        `cannot reach Redis at ${redactUrl(url)}`,
        {},
        { cause: error },
      );
    } finally {
      client.disconnect();
    }
    this.verbose.log(`Redis (restore target): answered PING (${Date.now() - started} ms)`);
  }

  /**
   * For a command that connects by itself (the self-test reports an unreachable store as a
   * finding): logs the stores it will use, without connecting.
   */
  announceStores(): void {
    const { url, source } = configuredRedisEndpoint(this.config);
    this.verbose.log(`PostgreSQL: ${redactUrl(this.config.get('DATABASE_URL', { infer: true }))}`);
    this.verbose.log(`Redis: ${redactUrl(url)} (${SOURCES[source]})`);
  }
}
