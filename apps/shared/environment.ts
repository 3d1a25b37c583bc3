/**
 * The process environment, validated once at start-up. Only the apps read the environment;
 * the library receives typed options built from this.
 */

import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { InvalidOptionError } from '#tenant-migration';
import type { ConflictPolicy } from '#tenant-migration';

import {
  IntegerVariable,
  IsHttpsUrl,
  IsTableNames,
  IsCronExpression,
  IsTimeZone,
  IsKillPoint,
} from './environment-rules.js';

/** The values of `LOG_FORMAT`, the default first. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export class EnvironmentVariables {
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional()
  @IsString()
  @IsHttpsUrl('UPSTASH_REDIS_REST_URL must be an https:// URL')
  UPSTASH_REDIS_REST_URL?: string;

  /**
   * The Redis `restore` writes to when `--target-url` is not given: a URL with a password in
   * the environment stays out of the process list, where a command-line argument is visible.
   */
  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'RESTORE_TARGET_URL must be a redis:// or rediss:// URL' })
  RESTORE_TARGET_URL?: string;

  @IsOptional()
  @IsString()
  UPSTASH_REDIS_REST_TOKEN?: string;

  @IsString()
  @MinLength(1)
  TENANT_KEY_PREFIX = 'subdomain:';

  @IntegerVariable(1, 50_000)
  MIGRATION_BATCH_SIZE = 2000;

  @IntegerVariable(64, 512 * 1024 * 1024)
  MAX_VALUE_BYTES = 65_536;

  @IsIn(['keep-postgres', 'overwrite', 'skip'])
  CONFLICT_POLICY: ConflictPolicy = 'keep-postgres';

  /** Comma-separated; replaces the built-in reserved list when set. */
  @IsOptional()
  @IsString()
  RESERVED_SUBDOMAINS?: string;

  /** ISO 3166 region for phone numbers without a country code, e.g. US, GB. */
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, {
    message: 'DEFAULT_PHONE_REGION must be a two-letter region code such as US',
  })
  DEFAULT_PHONE_REGION?: string;

  /** Bearer token of the admin API and dashboard. Required by the admin app. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  /** Bearer token of the admin app's `GET /metrics`; ADMIN_TOKEN's when unset. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /**
   * How long a Redis command may go without a reply before it fails (store-unavailable): a
   * server that stops answering keeps its connection open, so nothing else would end the wait.
   */
  @IntegerVariable(100, 600_000)
  REDIS_COMMAND_TIMEOUT_MS = 15_000;

  /**
   * How long a PostgreSQL statement of the apps waits for a lock another session holds (an
   * `ALTER TABLE` of the host's, a long transaction) before it fails as store-unavailable.
   * 0 waits for ever.
   */
  @IntegerVariable(0, 3_600_000)
  POSTGRES_LOCK_TIMEOUT_MS = 30_000;

  /**
   * How long a PostgreSQL connection of the apps waits for any reply to what it sent before it
   * is ended (store-unavailable): a stopped, frozen or cut-off server keeps the connection open.
   * Above the longest silent statement (a bulk DELETE of a restore, an index build). 0: for ever.
   */
  @IntegerVariable(0, 3_600_000)
  POSTGRES_REPLY_TIMEOUT_MS = 120_000;

  /**
   * The admin API answers a client (one IP address) at most this many requests per
   * ADMIN_RATE_WINDOW_MS, then 429 with `Retry-After` for one window. 0 turns the limit off.
   */
  @IntegerVariable(0, 1_000_000)
  ADMIN_RATE_LIMIT = 600;

  /** The window of ADMIN_RATE_LIMIT, in milliseconds. */
  @IntegerVariable(100, 86_400_000)
  ADMIN_RATE_WINDOW_MS = 60_000;

  /**
   * How long the admin API's synchronous forms that can stop midway (`?action=check`,
   * validate, dry-run, a Redis backup) may run: then they stop and answer 503 `sync-timeout`.
   * The same work runs without a limit as an operation.
   */
  @IntegerVariable(1000, 3_600_000)
  ADMIN_SYNC_TIMEOUT_MS = 120_000;

  @IntegerVariable(0, 65_535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /** Folder of new backup files, relative to the working directory. */
  @IsString()
  @MinLength(1)
  BACKUP_DIR = 'backups';

  /**
   * The admin app's readiness (`GET /health/ready`) fails when the file system of BACKUP_DIR has
   * less free space than this: a backup, which the migration and cleanup rely on, would fail.
   */
  @IntegerVariable(0, Number.MAX_SAFE_INTEGER)
  HEALTH_MIN_FREE_BYTES = 100 * 1024 * 1024;

  /** The library's table names, when not the defaults: see `tableNamesFrom`. */
  @IsOptional()
  @IsString()
  @IsTableNames()
  TENANT_TABLES?: string;

  /**
   * `development` turns on the CLI's verbose log on stderr, as `--verbose` does; any other
   * value (production, test) leaves it off. Nothing else reads it.
   */
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * The format of the apps' log lines: `text` for a person, `json` (one object a line, Nest's
   * JSON logger) for a log collector. Only log lines change: the CLI's report and `--json`
   * document on stdout, and its one-line errors, stay as they are.
   */
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: LogFormat = 'text';

  /**
   * How often a long CLI command (a migration, check, validate, a backup, its verification, a
   * restore, cleanup) writes its progress line when stderr is not a terminal, in milliseconds;
   * 0 writes one at every report of the engine's. A terminal gets a bar instead, redrawn as it goes.
   */
  @IntegerVariable(0, 3_600_000)
  PROGRESS_INTERVAL_MS = 5000;

  /**
   * What the admin app does with operations: `worker` (default) runs them in the app too;
   * `enqueue` only queues them, for `npm run worker` processes (here or on other machines) to
   * run. The CLI never runs queued operations; the worker always does.
   */
  @IsIn(['worker', 'enqueue'])
  OPERATIONS_MODE: 'worker' | 'enqueue' = 'worker';

  /** How often a running operation's worker beats (and reads cancel and pause requests). */
  @IntegerVariable(100, 60_000)
  OPERATION_HEARTBEAT_MS = 2000;

  /**
   * An active operation whose worker has not beaten for this long is marked `interrupted` (by
   * any app or worker process): seen within OPERATION_STALE_MS + OPERATION_HEARTBEAT_MS.
   */
  @IntegerVariable(500, 3_600_000)
  OPERATION_STALE_MS = 15_000;

  /** Operations one worker process (or the app's embedded worker) runs at once. */
  @IntegerVariable(1, 16)
  OPERATION_CONCURRENCY = 2;

  /**
   * When to start a `check` operation (actor `schedule`): a five-field cron expression, read in
   * SCHEDULE_TZ; unset: never. The admin app and every worker make the job queue's schedules
   * theirs when they start (the last to start decides), so set the schedules alike on all.
   */
  @IsOptional()
  @IsString()
  @IsCronExpression('SCHEDULE_CHECK_CRON')
  SCHEDULE_CHECK_CRON?: string;

  /** As SCHEDULE_CHECK_CRON, for `sync-pending` (a replay of the Redis write-back queue). */
  @IsOptional()
  @IsString()
  @IsCronExpression('SCHEDULE_SYNC_PENDING_CRON')
  SCHEDULE_SYNC_PENDING_CRON?: string;

  /** The time zone the schedules' cron expressions are read in. */
  @IsString()
  @IsTimeZone('SCHEDULE_TZ')
  SCHEDULE_TZ = 'UTC';

  /** Testing aid: SIGKILL the CLI at this stage of a migration (see `killPointFrom`). */
  @IsOptional()
  @IsString()
  @IsKillPoint()
  TENANT_MIGRATE_KILL_AT?: string;
}

interface Problem {
  variable: string;
  message: string;
}

/** The messages of one bad variable; never its value (it may be a secret). */
const problemsOf = (error: ValidationError): Problem[] => {
  const constraints = error.constraints ?? {};
  // A value that is not an integer at all is not "greater than" or "less than" anything.
  const messages = constraints.isInt ? [constraints.isInt] : Object.values(constraints);
  return messages.map((message) => ({ variable: error.property, message }));
};

/**
 * Upstash is configured by a pair of variables; one without the other would silently fall
 * back to local Redis and migrate from the wrong store. REDIS_URL, when set, wins anyway.
 */
const upstashProblems = (env: EnvironmentVariables): Problem[] => {
  if (
    env.REDIS_URL ||
    Boolean(env.UPSTASH_REDIS_REST_URL) === Boolean(env.UPSTASH_REDIS_REST_TOKEN)
  )
    return [];
  const [present, missing] = env.UPSTASH_REDIS_REST_URL
    ? ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN']
    : ['UPSTASH_REDIS_REST_TOKEN', 'UPSTASH_REDIS_REST_URL'];
  return [
    { variable: missing, message: `${missing} must be set when ${present} is (or set REDIS_URL)` },
  ];
};

/** Validates the environment; the error lists every bad variable in one message. */
export const validateEnvironment = (raw: Record<string, unknown>): EnvironmentVariables => {
  const defined = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  const problems = [...errors.flatMap(problemsOf), ...upstashProblems(env)];
  if (problems.length > 0) {
    throw new InvalidOptionError(
      `invalid environment: ${problems.map((p) => p.message).join('; ')}`,
      {
        variables: [...new Set(problems.map((p) => p.variable))],
      },
    );
  }
  return env;
};
