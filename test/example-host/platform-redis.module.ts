import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** The platform's own Redis client, under its own token (not @nestjs-modules/ioredis). */
export const PLATFORM_REDIS = 'PLATFORM_REDIS';
export const PLATFORM_REDIS_URL = 'PLATFORM_REDIS_URL';

@Global()
@Module({
  providers: [
    {
      provide: PLATFORM_REDIS,
      inject: [PLATFORM_REDIS_URL],
      useFactory: (url: string) => new Redis(url),
    },
  ],
  exports: [PLATFORM_REDIS],
})
export class PlatformRedisModule implements OnApplicationShutdown {
  constructor(@Inject(PLATFORM_REDIS) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
