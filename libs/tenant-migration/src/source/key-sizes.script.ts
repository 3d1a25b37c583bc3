import type { Redis, Result } from 'ioredis';
import { defineScripts } from './redis-scripts.js';

/**
 * Size and type of each key, server-side in one round trip: the length of a string, -1 for a
 * key that no longer exists, or the type name of anything else. Read-only.
 */
const KEY_SIZES_LUA = `
local sizes = {}
for i, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'string' then sizes[i] = redis.call('STRLEN', key)
  elseif kind == 'none' then sizes[i] = -1
  else sizes[i] = kind end
end
return sizes`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The key-sizes script (source/key-sizes.script.ts): a size or type name for each key. */
    tenantMigrationKeySizes(
      numberOfKeys: number,
      ...keys: string[]
    ): Result<(number | string)[], Context>;
  }
}

/** Registers the key-sizes script on the client (see `defineScripts`). */
export const defineKeySizes = (redis: Redis): void =>
  defineScripts(redis, { tenantMigrationKeySizes: { lua: KEY_SIZES_LUA } });
