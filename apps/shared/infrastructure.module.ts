import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import type { CountryCode } from 'libphonenumber-js';
import {
  type AdminControllerMount,
  buildDataSourceOptions,
  postgresReplyWatchdog,
  DEFAULT_VALIDATION_SETTINGS,
  type OperationSchedule,
  redactUrl,
  type ScheduleKind,
  TenantMigrationModule,
  type TenantMigrationModuleOptions,
} from '#tenant-migration';
import { type EnvironmentVariables, validateEnvironment } from './environment.js';
import { tableNamesFrom } from './environment-rules.js';
import { configuredRedisEndpoint } from './redis-endpoint.js';

export interface InfrastructureOptions {
  /**
   * `service`: a long-running process (reconnects, retries PostgreSQL at start-up, applies
   * pending schema migrations), running operations as OPERATIONS_MODE says. `worker`: a
   * service that runs operations and serves nothing. `command`: a CLI run (fails fast, never
   * changes the schema, runs no queued operation).
   */
  mode: 'service' | 'command' | 'worker';
  /** Mount the admin REST controller (the admin app does, behind its token guard). */
  admin?: AdminControllerMount;
}

type Config = ConfigService<EnvironmentVariables, true>;

/**
 * How long anything waits for Redis. A connection attempt gives up after 5 s. A command gives
 * up after REDIS_COMMAND_TIMEOUT_MS (15 s) without a reply: a server that stops answering
 * (stopped, overloaded, behind a silent network) keeps its connection open, so no reconnection
 * would ever end the wait, and a request or a command would hang. At the default batch size and
 * value limit, every command this system sends, a batch's pipeline included, answers in about a
 * second at most. Pending commands fail after the few reconnection attempts
 * `maxRetriesPerRequest` allows (ioredis' default, 20, held a request for about 10 s).
 */
const redisWaitBounds = (config: Config) => ({
  connectTimeout: 5000,
  commandTimeout: config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true }),
});

/**
 * PostgreSQL session settings of the apps' connections: a statement waits for another session's
 * lock for at most POSTGRES_LOCK_TIMEOUT_MS (30 s), then fails (SQLSTATE 55P03, answered as
 * store-unavailable) instead of holding a request, or a command, for as long as that session
 * keeps it. The library's own table lock never waits (it is a try-lock).
 */
const postgresSessionOptions = (config: Config): string =>
  `-c lock_timeout=${config.get('POSTGRES_LOCK_TIMEOUT_MS', { infer: true })}`;

/** The schedules SCHEDULE_CHECK_CRON and SCHEDULE_SYNC_PENDING_CRON set, in SCHEDULE_TZ. */
const schedulesFrom = (config: Config): OperationSchedule[] => {
  const tz = config.get('SCHEDULE_TZ', { infer: true });
  const crons: [ScheduleKind, string | undefined][] = [
    ['check', config.get('SCHEDULE_CHECK_CRON', { infer: true })],
    ['sync-pending', config.get('SCHEDULE_SYNC_PENDING_CRON', { infer: true })],
  ];
  return crons.flatMap(([kind, cron]) => (cron ? [{ kind, cron, tz }] : []));
};

/**
 * How the process takes part in operations, for its mode. The schedules are the library's to
 * apply: a `worker` or `enqueue` process applies them, a command (`client`) ignores them.
 */
export const operationsFrom = (
  config: Config,
  mode: InfrastructureOptions['mode'],
): TenantMigrationModuleOptions['operations'] => ({
  mode:
    mode === 'command'
      ? 'client'
      : mode === 'worker'
        ? 'worker'
        : config.get('OPERATIONS_MODE', { infer: true }),
  heartbeatMs: config.get('OPERATION_HEARTBEAT_MS', { infer: true }),
  staleMs: config.get('OPERATION_STALE_MS', { infer: true }),
  concurrency: config.get('OPERATION_CONCURRENCY', { infer: true }),
  schedules: schedulesFrom(config),
});

export const migrationOptionsFrom = (config: Config): TenantMigrationModuleOptions => {
  const reserved = config.get('RESERVED_SUBDOMAINS', { infer: true });
  const region = config.get('DEFAULT_PHONE_REGION', { infer: true });
  return {
    keyPrefix: config.get('TENANT_KEY_PREFIX', { infer: true }),
    batchSize: config.get('MIGRATION_BATCH_SIZE', { infer: true }),
    maxValueBytes: config.get('MAX_VALUE_BYTES', { infer: true }),
    conflictPolicy: config.get('CONFLICT_POLICY', { infer: true }),
    backupDir: config.get('BACKUP_DIR', { infer: true }),
    tables: tableNamesFrom(config.get('TENANT_TABLES', { infer: true })),
    validation: {
      reservedSubdomains: reserved
        ? reserved
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean)
        : DEFAULT_VALIDATION_SETTINGS.reservedSubdomains,
      ...(region ? { defaultPhoneRegion: region as CountryCode } : {}),
    },
  };
};

/** Configuration, PostgreSQL, Redis and the tenant-migration module, wired from the environment. */
@Module({})
export class InfrastructureModule {
  static forApp({ mode, admin }: InfrastructureOptions): DynamicModule {
    const logger = new Logger('Infrastructure');
    const service = mode !== 'command';
    return {
      module: InfrastructureModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: validateEnvironment,
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: Config) => ({
            ...buildDataSourceOptions(
              config.get('DATABASE_URL', { infer: true }),
              {
                migrationsRun: service,
                // Never TypeORM's own log: it prints failed statements with their parameters
                // (tenant data) on stdout, where a command's --json document goes. Failures
                // reach the caller as errors, which the apps report in one line.
                logging: false,
                extra: {
                  max: 10,
                  connectionTimeoutMillis: 5000,
                  options: postgresSessionOptions(config),
                  stream: postgresReplyWatchdog(
                    config.get('POSTGRES_REPLY_TIMEOUT_MS', { infer: true }),
                  ),
                },
              },
              tableNamesFrom(config.get('TENANT_TABLES', { infer: true })),
            ),
            // A command connects when it needs PostgreSQL (StorePreflight), so --help, usage
            // errors and Redis-only commands work, and a failure is one readable line.
            manualInitialization: !service,
            retryAttempts: service ? 5 : 0,
            retryDelay: 2000,
          }),
        }),
        RedisModule.forRootAsync({
          imports: [],
          inject: [ConfigService],
          useFactory: (config: Config) => {
            const endpoint = configuredRedisEndpoint(config);
            if (endpoint.source === 'UPSTASH')
              logger.log(
                `REDIS_URL is unset; using ${redactUrl(endpoint.url)} derived from UPSTASH_REDIS_REST_URL`,
              );
            return {
              type: 'single',
              url: endpoint.url,
              // Without a listener ioredis prints every connection error with a stack trace.
              // Commands surface the failure themselves; a service logs one line per error.
              onClientReady: (client) => {
                client.on('error', (error: Error) => {
                  if (service) logger.warn(`Redis: ${error.message}`);
                });
              },
              options: service
                ? // A service reconnects for ever, but a request waits for at most a few attempts.
                  { ...redisWaitBounds(config), maxRetriesPerRequest: 2 }
                : // A command connects on its first Redis command: `runs`, `--help` or a usage error never dial Redis.
                  {
                    ...redisWaitBounds(config),
                    lazyConnect: true,
                    maxRetriesPerRequest: 1,
                    retryStrategy: (times: number) => (times > 2 ? null : 200),
                  },
            };
          },
        }),
        TenantMigrationModule.forRootAsync({
          admin,
          inject: [ConfigService],
          useFactory: (config: Config) => ({
            ...migrationOptionsFrom(config),
            operations: operationsFrom(config, mode),
          }),
        }),
      ],
      exports: [TenantMigrationModule],
    };
  }
}
