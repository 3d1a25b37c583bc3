import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { redactUrl, StoreUnavailableError, TENANT_REDIS } from '#tenant-migration';
import { type EnvironmentVariables, resolveRedisEndpoint } from '../../shared/environment.js';

/** Checks that Redis answers before a command starts, so a dead Redis is one clear line. */
@Injectable()
export class StorePreflight {
  constructor(
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async assertRedis(): Promise<void> {
    try {
      await this.connected();
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

  /** Waits for the first connection attempt to succeed or fail, whichever comes first. */
  private connected(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onError = (error: Error) => done(error);
      const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
      this.redis.on('ready', onReady);
      this.redis.on('error', onError);
    });
  }
}
