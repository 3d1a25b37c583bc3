import type { Redis, Result } from 'ioredis';
import { defineScripts } from '../source/redis-scripts.js';

/**
 * RESTORE of many keys in one call: KEYS are the keys; ARGV[1] is '1' for REPLACE, then each
 * key's absolute expiry (ms, 0 for none) and DUMP payload. Each key's answer is 0 or the
 * error RESTORE gave it (say BUSYKEY), as a pipeline of RESTOREs would answer, but with one
 * command on the wire instead of one per key: the client's cost per command (its parsing,
 * promises and timers) is what a restore of small keys spends most of its time on.
 */
const RESTORE_LUA = `
local answers = {}
local replace = ARGV[1] == '1'
for i, key in ipairs(KEYS) do
  local reply
  if replace then
    reply = redis.pcall('RESTORE', key, ARGV[2 * i], ARGV[2 * i + 1], 'ABSTTL', 'REPLACE')
  else
    reply = redis.pcall('RESTORE', key, ARGV[2 * i], ARGV[2 * i + 1], 'ABSTTL')
  end
  if type(reply) == 'table' and reply.err then answers[i] = reply.err else answers[i] = 0 end
end
return answers`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** The restore script (backup/restore.script.ts): 0 or an error message for each key. */
    tenantMigrationRestore(
      numberOfKeys: number,
      ...args: (Buffer | string | number)[]
    ): Result<(number | string)[], Context>;
  }
}

/** Registers the restore script on the client (see `defineScripts`). */
export const defineRestore = (redis: Redis): void =>
  defineScripts(redis, { tenantMigrationRestore: { lua: RESTORE_LUA } });
