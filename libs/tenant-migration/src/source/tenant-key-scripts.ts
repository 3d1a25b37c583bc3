import type { Redis, RedisKey, RedisValue, Result } from 'ioredis';
import { defineScripts } from './redis-scripts.js';

/**
 * Sets the key only if it still holds what was read (or is still absent): compare-and-set.
 * ARGV[1] is '' when the key was absent, ARGV[2] the value read, ARGV[3] the value to write.
 * KEEPTTL: a key the legacy application gave a lifetime keeps it; a sync changes its value only.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
  return 1
end
return 0`;

/** Deletes the key only if it still holds the verified value ARGV[1]: compare-and-delete. */
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The names the scripts are defined under on the host's client: prefixed, so they cannot
 * collide with the host's own custom commands.
 */
export const TENANT_KEY_SCRIPTS = {
  tenantMigrationCompareAndSet: COMPARE_AND_SET,
  tenantMigrationCompareAndDelete: COMPARE_AND_DELETE,
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** 1 when the key was set, 0 when it no longer held `expected` (see COMPARE_AND_SET). */
    tenantMigrationCompareAndSet(
      key: RedisKey,
      wasPresent: '' | 'present',
      expected: RedisValue,
      value: RedisValue,
    ): Result<number, Context>;
    /** 1 when the key was deleted, 0 when it no longer held `expected`. */
    tenantMigrationCompareAndDelete(key: RedisKey, expected: RedisValue): Result<number, Context>;
  }
}

/** Defines the scripts as custom commands of `redis`, each with one key (see `defineScripts`). */
export const defineTenantKeyScripts = (redis: Redis): void =>
  defineScripts(
    redis,
    Object.fromEntries(
      Object.entries(TENANT_KEY_SCRIPTS).map(([name, lua]) => [name, { lua, numberOfKeys: 1 }]),
    ),
  );
