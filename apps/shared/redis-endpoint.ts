/** Which Redis the apps connect to, resolved once from the environment for every caller. */
import type { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from './environment.js';

export interface RedisEndpoint {
  url: string;
  /** Where the URL came from, for the start-up log. */
  source: 'REDIS_URL' | 'UPSTASH' | 'default';
}

/** REDIS_URL, else the TLS URL derived from the Upstash REST variables, else local Redis. */
export const resolveRedisEndpoint = (
  env: Pick<
    EnvironmentVariables,
    'REDIS_URL' | 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN'
  >,
): RedisEndpoint => {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL' };
  if (env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN) {
    const host = new URL(env.UPSTASH_REDIS_REST_URL).hostname;
    return {
      url: `rediss://default:${encodeURIComponent(env.UPSTASH_REDIS_REST_TOKEN)}@${host}:6379`,
      source: 'UPSTASH',
    };
  }
  return { url: 'redis://127.0.0.1:6379', source: 'default' };
};

/**
 * The configured Redis endpoint: the module's client and the CLI's preflight (which names the
 * URL and where it came from) both ask this, so they can never disagree.
 */
export const configuredRedisEndpoint = (
  config: ConfigService<EnvironmentVariables, true>,
): RedisEndpoint =>
  resolveRedisEndpoint({
    REDIS_URL: config.get('REDIS_URL', { infer: true }),
    UPSTASH_REDIS_REST_URL: config.get('UPSTASH_REDIS_REST_URL', { infer: true }),
    UPSTASH_REDIS_REST_TOKEN: config.get('UPSTASH_REDIS_REST_TOKEN', { infer: true }),
  });
