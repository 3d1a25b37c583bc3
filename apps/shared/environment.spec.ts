import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '#tenant-migration';
import { validateEnvironment, type EnvironmentVariables } from './environment.js';
import { killPointFrom, tableNamesFrom } from './environment-rules.js';
import { migrationOptionsFrom, operationsFrom } from './infrastructure.module.js';

/** Runs validateEnvironment expecting it to fail; returns the InvalidOptionError. */
const rejectionOf = (raw: Record<string, unknown>): InvalidOptionError => {
  try {
    validateEnvironment(raw);
  } catch (error) {
    assert.ok(error instanceof InvalidOptionError, `an InvalidOptionError, got ${String(error)}`);
    assert.equal(error.code, 'invalid-option');
    assert.equal(error.kind, 'invalid-input');
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
};

const variablesOf = (error: InvalidOptionError): string[] => error.context.variables as string[];

describe('validateEnvironment', () => {
  it('applies the defaults to an empty environment', () => {
    const env = validateEnvironment({});
    assert.equal(env.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/postgres');
    assert.equal(env.TENANT_KEY_PREFIX, 'subdomain:');
    assert.equal(env.MIGRATION_BATCH_SIZE, 2000);
    assert.equal(env.MAX_VALUE_BYTES, 65_536);
    assert.equal(env.CONFLICT_POLICY, 'keep-postgres');
    assert.equal(env.PORT, 3000);
    assert.equal(env.HOST, '127.0.0.1');
    assert.equal(env.BACKUP_DIR, 'backups');
    assert.equal(env.HEALTH_MIN_FREE_BYTES, 100 * 1024 * 1024);
    assert.equal(env.LOG_FORMAT, 'text');
    assert.equal(env.PROGRESS_INTERVAL_MS, 5000);
    assert.equal(validateEnvironment({ PROGRESS_INTERVAL_MS: '0' }).PROGRESS_INTERVAL_MS, 0);
    assert.equal(env.ADMIN_RATE_LIMIT, 600);
    assert.equal(env.ADMIN_RATE_WINDOW_MS, 60_000);
    for (const optional of [
      'REDIS_URL',
      'UPSTASH_REDIS_REST_URL',
      'UPSTASH_REDIS_REST_TOKEN',
      'RESERVED_SUBDOMAINS',
      'DEFAULT_PHONE_REGION',
      'ADMIN_TOKEN',
      'METRICS_TOKEN',
    ] as const) {
      assert.equal(env[optional], undefined, optional);
    }
  });

  it('treats empty and undefined variables as unset', () => {
    const env = validateEnvironment({
      PORT: '',
      MIGRATION_BATCH_SIZE: undefined,
      ADMIN_TOKEN: '',
      REDIS_URL: '',
      TENANT_KEY_PREFIX: '',
      BACKUP_DIR: '',
    });
    assert.equal(env.PORT, 3000);
    assert.equal(env.MIGRATION_BATCH_SIZE, 2000);
    assert.equal(env.ADMIN_TOKEN, undefined);
    assert.equal(env.REDIS_URL, undefined);
    assert.equal(env.TENANT_KEY_PREFIX, 'subdomain:');
    assert.equal(env.BACKUP_DIR, 'backups');
  });

  const coercions: [
    variable:
      | 'PORT'
      | 'MIGRATION_BATCH_SIZE'
      | 'MAX_VALUE_BYTES'
      | 'HEALTH_MIN_FREE_BYTES'
      | 'ADMIN_RATE_LIMIT'
      | 'ADMIN_RATE_WINDOW_MS',
    raw: string,
    value: number,
  ][] = [
    ['PORT', '8080', 8080],
    ['PORT', '0', 0],
    ['PORT', '65535', 65_535],
    ['MIGRATION_BATCH_SIZE', '1', 1],
    ['MIGRATION_BATCH_SIZE', '50000', 50_000],
    ['MAX_VALUE_BYTES', '64', 64],
    ['MAX_VALUE_BYTES', '1048576', 1_048_576],
    ['HEALTH_MIN_FREE_BYTES', '0', 0],
    ['HEALTH_MIN_FREE_BYTES', '9007199254740991', Number.MAX_SAFE_INTEGER],
    ['ADMIN_RATE_LIMIT', '0', 0],
    ['ADMIN_RATE_LIMIT', '1000000', 1_000_000],
    ['ADMIN_RATE_WINDOW_MS', '100', 100],
    ['ADMIN_RATE_WINDOW_MS', '86400000', 86_400_000],
  ];
  for (const [variable, raw, value] of coercions) {
    it(`coerces ${variable}=${raw} to the number ${value}`, () => {
      const env = validateEnvironment({ [variable]: raw });
      assert.equal(env[variable], value);
      assert.equal(typeof env[variable], 'number');
    });
  }

  it('keeps valid values as given', () => {
    const given = {
      DATABASE_URL: 'postgresql://app:pw@db.internal:5433/tenants',
      REDIS_URL: 'rediss://default:pw@cache.internal:6380',
      UPSTASH_REDIS_REST_URL: 'https://eu1-able-fox-12345.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'AX1234token',
      TENANT_KEY_PREFIX: 'tenant:',
      CONFLICT_POLICY: 'overwrite',
      RESERVED_SUBDOMAINS: 'www,api',
      DEFAULT_PHONE_REGION: 'GB',
      ADMIN_TOKEN: 'a'.repeat(16),
      HOST: '0.0.0.0',
      BACKUP_DIR: '/var/backups/tenant-migrate',
      LOG_FORMAT: 'json',
    } satisfies Partial<Record<keyof EnvironmentVariables, string>>;
    const env = validateEnvironment(given);
    for (const [variable, value] of Object.entries(given)) {
      assert.equal(env[variable as keyof EnvironmentVariables], value, variable);
    }
  });

  const invalid: [variable: string, value: string, message: RegExp][] = [
    ['DATABASE_URL', 'mysql://root@localhost/app', /DATABASE_URL must be a postgres:\/\/ URL/],
    ['DATABASE_URL', '127.0.0.1:5432', /DATABASE_URL must be a postgres:\/\/ URL/],
    ['REDIS_URL', 'http://localhost:6379', /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [
      'UPSTASH_REDIS_REST_URL',
      'http://eu1.upstash.io',
      /UPSTASH_REDIS_REST_URL must be an https:\/\/ URL/,
    ],
    ['UPSTASH_REDIS_REST_URL', 'https://', /UPSTASH_REDIS_REST_URL must be an https:\/\/ URL/],
    [
      'UPSTASH_REDIS_REST_URL',
      'https://exa mple.io',
      /UPSTASH_REDIS_REST_URL must be an https:\/\/ URL/,
    ],
    [
      'MIGRATION_BATCH_SIZE',
      '0',
      /^invalid environment: MIGRATION_BATCH_SIZE must not be less than 1$/,
    ],
    [
      'MIGRATION_BATCH_SIZE',
      '-1',
      /^invalid environment: MIGRATION_BATCH_SIZE must not be less than 1$/,
    ],
    [
      'MIGRATION_BATCH_SIZE',
      '50001',
      /^invalid environment: MIGRATION_BATCH_SIZE must not be greater than 50000$/,
    ],
    [
      'MIGRATION_BATCH_SIZE',
      'lots',
      /^invalid environment: MIGRATION_BATCH_SIZE must be an integer number$/,
    ],
    [
      'MIGRATION_BATCH_SIZE',
      '1.5',
      /^invalid environment: MIGRATION_BATCH_SIZE must be an integer number$/,
    ],
    ['MAX_VALUE_BYTES', '63', /MAX_VALUE_BYTES must not be less than 64/],
    ['MAX_VALUE_BYTES', '1e6', /MAX_VALUE_BYTES must be an integer number/],
    [
      'CONFLICT_POLICY',
      'yolo',
      /CONFLICT_POLICY must be one of the following values: keep-postgres, overwrite, skip/,
    ],
    [
      'LOG_FORMAT',
      'xml',
      /^invalid environment: LOG_FORMAT must be one of the following values: text, json$/,
    ],
    ['LOG_FORMAT', 'JSON', /LOG_FORMAT must be one of the following values: text, json/],
    [
      'PROGRESS_INTERVAL_MS',
      '-1',
      /^invalid environment: PROGRESS_INTERVAL_MS must not be less than 0$/,
    ],
    [
      'PROGRESS_INTERVAL_MS',
      '3600001',
      /^invalid environment: PROGRESS_INTERVAL_MS must not be greater than 3600000$/,
    ],
    ['PROGRESS_INTERVAL_MS', '5s', /PROGRESS_INTERVAL_MS must be an integer number/],
    ['DEFAULT_PHONE_REGION', 'us', /DEFAULT_PHONE_REGION must be a two-letter region code/],
    ['DEFAULT_PHONE_REGION', 'USA', /DEFAULT_PHONE_REGION must be a two-letter region code/],
    ['ADMIN_TOKEN', 'too-short', /ADMIN_TOKEN must be at least 16 characters/],
    ['METRICS_TOKEN', 'too-short', /METRICS_TOKEN must be at least 16 characters/],
    ['PORT', '65536', /^invalid environment: PORT must not be greater than 65535$/],
    ['PORT', '-80', /^invalid environment: PORT must not be less than 0$/],
    ['PORT', 'http', /^invalid environment: PORT must be an integer number$/],
    ['ADMIN_RATE_LIMIT', '-1', /^invalid environment: ADMIN_RATE_LIMIT must not be less than 0$/],
    [
      'ADMIN_RATE_LIMIT',
      '1000001',
      /^invalid environment: ADMIN_RATE_LIMIT must not be greater than 1000000$/,
    ],
    [
      'ADMIN_RATE_WINDOW_MS',
      '99',
      /^invalid environment: ADMIN_RATE_WINDOW_MS must not be less than 100$/,
    ],
    [
      'ADMIN_RATE_WINDOW_MS',
      '1m',
      /^invalid environment: ADMIN_RATE_WINDOW_MS must be an integer number$/,
    ],
    [
      'HEALTH_MIN_FREE_BYTES',
      '-1',
      /^invalid environment: HEALTH_MIN_FREE_BYTES must not be less than 0$/,
    ],
    [
      'HEALTH_MIN_FREE_BYTES',
      '9007199254740992',
      /^invalid environment: HEALTH_MIN_FREE_BYTES must not be greater than 9007199254740991$/,
    ],
    [
      'HEALTH_MIN_FREE_BYTES',
      '100MiB',
      /^invalid environment: HEALTH_MIN_FREE_BYTES must be an integer number$/,
    ],
    [
      'SCHEDULE_CHECK_CRON',
      '*/15 * * *',
      /^invalid environment: SCHEDULE_CHECK_CRON must be a five-field cron expression \(minute hour day-of-month month day-of-week, e\.g\. "0 3 \* \* \*" for 03:00 every day\): it has 4 fields, not 5$/,
    ],
    [
      'SCHEDULE_CHECK_CRON',
      '0 24 * * *',
      /SCHEDULE_CHECK_CRON must be a five-field cron expression .*: the hour field's 24 is outside 0-23$/,
    ],
    [
      'SCHEDULE_CHECK_CRON',
      '@daily',
      /SCHEDULE_CHECK_CRON must be a five-field cron expression .*: it has 1 field, not 5$/,
    ],
    [
      'SCHEDULE_CHECK_CRON',
      '0 0 30 2 *',
      /SCHEDULE_CHECK_CRON must be .*: its day of the month is never reached in its month$/,
    ],
    [
      'SCHEDULE_SYNC_PENDING_CRON',
      '*/0 * * * *',
      /^invalid environment: SCHEDULE_SYNC_PENDING_CRON must be a five-field cron expression .*: the minute field's step must be at least 1$/,
    ],
    [
      'SCHEDULE_SYNC_PENDING_CRON',
      '0 3 * * someday',
      /SCHEDULE_SYNC_PENDING_CRON must be .*: the day-of-week field's "someday" is not a number or a name$/,
    ],
    [
      'SCHEDULE_TZ',
      'Mars/Olympus',
      /^invalid environment: SCHEDULE_TZ must be an IANA time zone such as UTC or Europe\/Paris$/,
    ],
    ['SCHEDULE_TZ', '+02:00', /SCHEDULE_TZ must be an IANA time zone/],
    ['TENANT_TABLES', 'tenants', /TENANT_TABLES must be comma-separated table=name pairs/],
    ['TENANT_TABLES', 'tenants=Tenants', /TENANT_TABLES must be comma-separated table=name pairs/],
    ['TENANT_TABLES', 'tenants=x;drop', /TENANT_TABLES must be comma-separated table=name pairs/],
    [
      'TENANT_TABLES',
      'clients=tm_clients',
      /TENANT_TABLES must be comma-separated table=name pairs/,
    ],
    ['TENANT_TABLES', 'tenants=backups', /TENANT_TABLES must be comma-separated table=name pairs/],
    [
      'TENANT_MIGRATE_KILL_AT',
      'batch-merged',
      /^invalid environment: TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'batch-merged:0',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'batch-merged:*',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'batch-merged:-1',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'batch-exploded:3',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'constructor:1',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
    [
      'TENANT_MIGRATE_KILL_AT',
      'scan-finished:',
      /TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1>/,
    ],
  ];
  /** Valid variables a case needs beside the bad one (Upstash comes as a pair). */
  const companions: Record<string, Record<string, string>> = {
    UPSTASH_REDIS_REST_URL: { UPSTASH_REDIS_REST_TOKEN: 'AXtoken' },
  };
  for (const [variable, value, message] of invalid) {
    it(`rejects ${variable}=${JSON.stringify(value)}, naming the variable`, () => {
      const error = rejectionOf({ ...companions[variable], [variable]: value });
      assert.match(error.message, message);
      assert.deepEqual(variablesOf(error), [variable]);
    });
  }

  it('reads TENANT_TABLES as table=name pairs', () => {
    const env = validateEnvironment({
      TENANT_TABLES: 'tenants=tenancy.tenants, auditLog=tm_audit',
    });
    assert.deepEqual(tableNamesFrom(env.TENANT_TABLES), {
      tenants: 'tenancy.tenants',
      auditLog: 'tm_audit',
    });
    assert.deepEqual(tableNamesFrom(undefined), {});
  });

  it('reads TENANT_MIGRATE_KILL_AT as a stage and a batch (any batch for run-level stages)', () => {
    const env = validateEnvironment({ TENANT_MIGRATE_KILL_AT: 'batch-merged:3' });
    assert.deepEqual(killPointFrom(env.TENANT_MIGRATE_KILL_AT), {
      stage: 'batch-merged',
      batch: 3,
    });
    assert.deepEqual(killPointFrom('batch-committed:12'), { stage: 'batch-committed', batch: 12 });
    for (const value of ['run-recorded:*', 'scan-finished:0', 'run-finished:15']) {
      assert.deepEqual(killPointFrom(value), { stage: value.split(':')[0], batch: null }, value);
    }
    assert.equal(killPointFrom(undefined), null);
    assert.equal(validateEnvironment({}).TENANT_MIGRATE_KILL_AT, undefined);
  });

  it('leaves the schedules unset (off) by default, in UTC', () => {
    const env = validateEnvironment({});
    assert.equal(env.SCHEDULE_CHECK_CRON, undefined);
    assert.equal(env.SCHEDULE_SYNC_PENDING_CRON, undefined);
    assert.equal(env.SCHEDULE_TZ, 'UTC');
  });

  it('keeps valid schedules and time zones as given', () => {
    for (const cron of ['*/15 * * * *', '0 3 * * mon-fri', '30 2 1,15 jan-jun *', '0 0 29 2 *'])
      assert.equal(validateEnvironment({ SCHEDULE_CHECK_CRON: cron }).SCHEDULE_CHECK_CRON, cron);
    const env = validateEnvironment({
      SCHEDULE_SYNC_PENDING_CRON: '5/10 * * * 0,7',
      SCHEDULE_TZ: 'America/New_York',
    });
    assert.equal(env.SCHEDULE_SYNC_PENDING_CRON, '5/10 * * * 0,7');
    assert.equal(env.SCHEDULE_TZ, 'America/New_York');
  });

  it('keeps NODE_ENV as given, any value, unset by default', () => {
    assert.equal(validateEnvironment({}).NODE_ENV, undefined);
    assert.equal(validateEnvironment({ NODE_ENV: '' }).NODE_ENV, undefined);
    for (const value of ['development', 'production', 'test', 'staging'])
      assert.equal(validateEnvironment({ NODE_ENV: value }).NODE_ENV, value);
  });

  it('names every bad variable in one error', () => {
    const error = rejectionOf({
      PORT: 'x',
      CONFLICT_POLICY: 'yolo',
      REDIS_URL: 'http://h',
      MIGRATION_BATCH_SIZE: '0',
    });
    assert.deepEqual(variablesOf(error).sort(), [
      'CONFLICT_POLICY',
      'MIGRATION_BATCH_SIZE',
      'PORT',
      'REDIS_URL',
    ]);
    for (const variable of ['PORT', 'CONFLICT_POLICY', 'REDIS_URL', 'MIGRATION_BATCH_SIZE'])
      assert.match(error.message, new RegExp(variable));
  });

  it('rejects half an Upstash configuration unless REDIS_URL is set', () => {
    const urlOnly = rejectionOf({ UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io' });
    assert.deepEqual(variablesOf(urlOnly), ['UPSTASH_REDIS_REST_TOKEN']);
    assert.match(
      urlOnly.message,
      /UPSTASH_REDIS_REST_TOKEN must be set when UPSTASH_REDIS_REST_URL is/,
    );
    const tokenOnly = rejectionOf({ UPSTASH_REDIS_REST_TOKEN: 'AXsecret-upstash-token' });
    assert.deepEqual(variablesOf(tokenOnly), ['UPSTASH_REDIS_REST_URL']);
    assert.doesNotMatch(tokenOnly.message, /AXsecret/);
    assert.doesNotThrow(() =>
      validateEnvironment({
        REDIS_URL: 'redis://h:6379',
        UPSTASH_REDIS_REST_TOKEN: 'AXsecret-upstash-token',
      }),
    );
  });

  describe('never puts a secret in the error', () => {
    const secretCases: [label: string, raw: Record<string, string>, secrets: string[]][] = [
      ['a short ADMIN_TOKEN', { ADMIN_TOKEN: 'S3cr3tAdm1n' }, ['S3cr3tAdm1n']],
      [
        'a valid ADMIN_TOKEN beside another error',
        { ADMIN_TOKEN: 'Adm1nT0ken-very-secret', PORT: 'x' },
        ['Adm1nT0ken-very-secret'],
      ],
      [
        'a DATABASE_URL password beside another error',
        { DATABASE_URL: 'postgres://app:Pg-Pa55word@db/prod', PORT: 'x' },
        ['Pg-Pa55word'],
      ],
      [
        'a password in a rejected DATABASE_URL',
        { DATABASE_URL: 'mysql://app:My-Pa55word@db/prod' },
        ['My-Pa55word'],
      ],
      [
        'a password in a rejected REDIS_URL',
        { REDIS_URL: 'http://default:Rd-Pa55word@cache:6379' },
        ['Rd-Pa55word'],
      ],
      [
        'the Upstash token beside a rejected Upstash URL',
        {
          UPSTASH_REDIS_REST_URL: 'http://eu1.upstash.io',
          UPSTASH_REDIS_REST_TOKEN: 'AXupstash-s3cret',
        },
        ['AXupstash-s3cret'],
      ],
    ];
    for (const [label, raw, secrets] of secretCases) {
      it(label, () => {
        const error = rejectionOf(raw);
        const everything = `${error.message} ${JSON.stringify(error.context)} ${error.stack ?? ''}`;
        for (const secret of secrets)
          assert.ok(
            !everything.includes(secret),
            `${label}: "${secret}" leaked into ${everything}`,
          );
      });
    }
  });
});

describe('migrationOptionsFrom', () => {
  /** A ConfigService stand-in over a validated environment. */
  const configOf = (raw: Record<string, string>) => {
    const env = validateEnvironment(raw);
    return { get: (key: keyof EnvironmentVariables) => env[key] } as unknown as Parameters<
      typeof migrationOptionsFrom
    >[0];
  };

  it('passes BACKUP_DIR to the library as backupDir, with its default', () => {
    assert.equal(migrationOptionsFrom(configOf({})).backupDir, 'backups');
    assert.equal(
      migrationOptionsFrom(configOf({ BACKUP_DIR: '/srv/backups' })).backupDir,
      '/srv/backups',
    );
  });

  it('passes TENANT_TABLES to the library as tables', () => {
    assert.deepEqual(migrationOptionsFrom(configOf({})).tables, {});
    assert.deepEqual(
      migrationOptionsFrom(configOf({ TENANT_TABLES: 'tenants=tenancy.tenants' })).tables,
      { tenants: 'tenancy.tenants' },
    );
  });
});

describe('operationsFrom', () => {
  const configOf = (raw: Record<string, string>) => {
    const env = validateEnvironment(raw);
    return { get: (key: keyof EnvironmentVariables) => env[key] } as unknown as Parameters<
      typeof operationsFrom
    >[0];
  };

  it('passes no schedule to the library while the variables are unset', () => {
    assert.deepEqual(operationsFrom(configOf({}), 'service')?.schedules, []);
    assert.deepEqual(
      operationsFrom(configOf({ SCHEDULE_TZ: 'Europe/Paris' }), 'worker')?.schedules,
      [],
    );
  });

  it('passes each set schedule with SCHEDULE_TZ, in every mode (the library decides who applies them)', () => {
    const config = configOf({
      SCHEDULE_CHECK_CRON: '0 3 * * *',
      SCHEDULE_SYNC_PENDING_CRON: '*/10 * * * *',
      SCHEDULE_TZ: 'Europe/Paris',
    });
    for (const mode of ['service', 'worker', 'command'] as const)
      assert.deepEqual(operationsFrom(config, mode)?.schedules, [
        { kind: 'check', cron: '0 3 * * *', tz: 'Europe/Paris' },
        { kind: 'sync-pending', cron: '*/10 * * * *', tz: 'Europe/Paris' },
      ]);
    assert.deepEqual(
      operationsFrom(configOf({ SCHEDULE_SYNC_PENDING_CRON: '0 * * * *' }), 'service')?.schedules,
      [{ kind: 'sync-pending', cron: '0 * * * *', tz: 'UTC' }],
    );
  });

  it('keeps the mode a process runs operations in', () => {
    assert.equal(operationsFrom(configOf({}), 'command')?.mode, 'client');
    assert.equal(operationsFrom(configOf({}), 'worker')?.mode, 'worker');
    assert.equal(
      operationsFrom(configOf({ OPERATIONS_MODE: 'enqueue' }), 'service')?.mode,
      'enqueue',
    );
  });
});
