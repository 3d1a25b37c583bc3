import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';

/**
 * A tenant's key in Redis, as `TenantService` keeps it: whether it exists, its value written
 * back, its removal. Plain commands on the module's Redis client.
 */
@Injectable()
export class TenantRedisCopyRepository {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {}

  /** Whether the key exists. */
  async exists(key: string): Promise<boolean> {
    return (await this.redis.exists(key)) === 1;
  }

  /** Sets the key's value; KEEPTTL: a key the legacy application gave a lifetime keeps it. */
  async write(key: string, value: string): Promise<void> {
    await this.redis.set(key, value, 'KEEPTTL');
  }

  /** Deletes the key: whether it was there. */
  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) === 1;
  }
}
