import type { Redis } from 'ioredis';

/** A Lua script defined as a custom command: its body and, when fixed, how many keys it takes. */
export interface RedisScript {
  lua: string;
  numberOfKeys?: number;
}

/**
 * Defines each script as a custom command of `redis`: ioredis then sends EVALSHA, and the body
 * only when the server does not have it cached (a new or restarted server). The client is the
 * host's and may be shared by several modules: a command already defined is left as it is.
 * Pipelines copy the client's commands when they are created, so this runs before any.
 */
export const defineScripts = (
  redis: Redis,
  scripts: Readonly<Record<string, RedisScript>>,
): void => {
  for (const [name, script] of Object.entries(scripts)) {
    if (!Object.hasOwn(redis.scriptsSet, name)) redis.defineCommand(name, script);
  }
};
