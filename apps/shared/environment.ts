/**
 * The process environment, validated once at start-up. Only the apps read the environment;
 * the library receives typed options built from this.
 */
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { InvalidOptionError } from '#tenant-migration';
import type { ConflictPolicy } from '#tenant-migration';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

export class EnvironmentVariables {
  @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional() @IsString() @Matches(/^https:\/\//, { message: 'UPSTASH_REDIS_REST_URL must be an https:// URL' })
  UPSTASH_REDIS_REST_URL?: string;

  @IsOptional() @IsString()
  UPSTASH_REDIS_REST_TOKEN?: string;

  @IsString() @MinLength(1)
  TENANT_KEY_PREFIX = 'subdomain:';

  @Transform(toInt) @IsInt() @Min(1) @Max(50_000)
  MIGRATION_BATCH_SIZE = 2000;

  @Transform(toInt) @IsInt() @Min(64) @Max(512 * 1024 * 1024)
  MAX_VALUE_BYTES = 65_536;

  @IsIn(['keep-postgres', 'overwrite', 'skip'])
  CONFLICT_POLICY: ConflictPolicy = 'keep-postgres';

  /** Comma-separated; replaces the built-in reserved list when set. */
  @IsOptional() @IsString()
  RESERVED_SUBDOMAINS?: string;

  /** ISO 3166 region for phone numbers without a country code, e.g. US, GB. */
  @IsOptional() @Matches(/^[A-Z]{2}$/, { message: 'DEFAULT_PHONE_REGION must be a two-letter region code such as US' })
  DEFAULT_PHONE_REGION?: string;

  /** Bearer token of the admin API and dashboard. Required by the admin app. */
  @IsOptional() @IsString() @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  @Transform(toInt) @IsInt() @Min(0) @Max(65_535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';
}

export interface RedisEndpoint {
  url: string;
  /** Where the URL came from, for the start-up log. */
  source: 'REDIS_URL' | 'UPSTASH' | 'default';
}

/** REDIS_URL, else the TLS URL derived from the Upstash REST variables, else local Redis. */
export const resolveRedisEndpoint = (
  env: Pick<EnvironmentVariables, 'REDIS_URL' | 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN'>,
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

/** Validates the environment; the error lists every bad variable in one message. */
export const validateEnvironment = (raw: Record<string, unknown>): EnvironmentVariables => {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const details = errors.flatMap((e) => Object.values(e.constraints ?? {}));
    throw new InvalidOptionError(`invalid environment: ${details.join('; ')}`, { variables: errors.map((e) => e.property) });
  }
  return env;
};
