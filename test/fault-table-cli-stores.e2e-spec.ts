/**
 * The CLI's fault table for the stores: PostgreSQL and Redis down before a command starts (a
 * port nothing listens on; a private redis-server killed), going down in the middle of one
 * (killed, or its connections reset by a TCP proxy once the command has read part of the
 * keyspace), and stopping answering (the proxy freezes: connections stay open, nothing comes
 * back), where the command must still end, with exit 3, within the bound. Each row runs the real
 * CLI and is judged by test/support/cli-fault-table.ts.
 *
 * The shared server's data is never touched: Redis is a private server of this file (and one
 * more per row that kills its own), PostgreSQL the machine's, reached through a proxy of the
 * row's own where the row makes it fail.
 */
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import { BackupService, MigrationService } from '#tenant-migration';
import {
  createContextOverRedis,
  createTestDatabase,
  testNamespace,
} from './support/test-stores.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { legacy } from './support/tenant-fixtures.js';
import { faultRowTest, type CliFaultRow, type CliRun } from './support/cli-fault-table.js';

const PREFIX = `${testNamespace('fault_table_cli_stores')}subdomain:`;
/** Enough keys, read 100 at a time, that a command is well inside its work when the fault strikes. */
const KEYS = 10_000;
const POSTGRES_REPLY_TIMEOUT_MS = 3000;
/** Bytes the proxy forwards from Redis before the fault: past the preflight and the first batches, far from the end (~1.2 MB). */
const REDIS_MIDWAY_BYTES = 150_000;
/** Bytes of a PostgreSQL COPY out (~3 MB for the tenants) before the fault. */
const POSTGRES_MIDWAY_BYTES = 300_000;

let redis: PrivateRedis;
let databaseUrl: string;
let work: string;
let redisBackup: string;
let tenantsBackup: string;
/** A Redis URL where a killed private server was: connections are refused. */
let deadRedisUrl: string;
/** The test database's URL on a port nothing listens on. */
let deadPostgresUrl: string;

const withPort = (url: string, port: number): string => {
  const changed = new URL(url);
  changed.port = String(port);
  return changed.toString();
};
const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redis.url,
  TENANT_KEY_PREFIX: PREFIX,
  BACKUP_DIR: join(work, 'backups'),
  MIGRATION_BATCH_SIZE: '100',
  // A frozen PostgreSQL is ended once it has not replied for this long (default 120 s, far over
  // a row's bound); Redis keeps its default command timeout (15 s), within the bound.
  POSTGRES_REPLY_TIMEOUT_MS: String(POSTGRES_REPLY_TIMEOUT_MS),
  ...extra,
});
const seed = async (client: Redis): Promise<void> => {
  const pipeline = client.pipeline();
  for (let i = 0; i < KEYS; i++)
    pipeline.set(`${PREFIX}tenant-${i}`, legacy('🍕', 1700000000000 + i));
  await pipeline.exec();
};
const query = async <T extends object>(url: string, sql: string): Promise<T[]> => {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.end();
  }
};
/** Resolves once the server has answered `calls` MGETs: the command has read its first batches. */
const afterBatches = async (url: string, calls: number): Promise<void> => {
  const watcher = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    for (;;) {
      const stats = /^cmdstat_mget:calls=(\d+)/m.exec(await watcher.info('commandstats'));
      if (stats && Number(stats[1]) >= calls) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    watcher.disconnect();
  }
};

type Store = 'redis' | 'postgres';
const STORE_NAME: Record<Store, string> = { redis: 'Redis', postgres: 'PostgreSQL' };
const CANNOT_REACH: Record<Store, RegExp> = {
  postgres:
    /^cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
  redis:
    /^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
};

/** Each command: as the operator types it, and its arguments (made once `before` has made the files they name). */
const COMMANDS = {
  migrate: { label: 'migrate --batch-size 100', args: () => ['migrate', '--batch-size', '100'] },
  dryRun: { label: 'dry-run', args: () => ['dry-run'] },
  validate: { label: 'validate', args: () => ['validate'] },
  runs: { label: 'runs', args: () => ['runs'] },
  check: { label: 'check', args: () => ['check'] },
  sync: { label: 'sync <subdomain>', args: () => ['sync', 'tenant-1'] },
  syncPending: { label: 'sync --pending', args: () => ['sync', '--pending'] },
  cleanup: { label: 'cleanup', args: () => ['cleanup'] },
  stats: { label: 'stats', args: () => ['stats'] },
  report: {
    label: 'report --out-dir <dir>',
    args: () => ['report', '--out-dir', join(work, 'reports')],
  },
  test: { label: 'test', args: () => ['test'] },
  backup: { label: 'backup', args: () => ['backup'] },
  backupOut: {
    label: 'backup --out <path>',
    args: () => ['backup', '--out', join(work, 'cut-backup', 'redis.ndjson.gz')],
  },
  backupPostgres: {
    label: 'backup --postgres --out <path>',
    args: () => ['backup', '--postgres', '--out', join(work, 'cut-postgres', 'tenants.ndjson.gz')],
  },
  backupVerify: { label: 'backup verify <backup>', args: () => ['backup', 'verify', redisBackup] },
  backupVerifyLive: {
    label: 'backup verify --live <backup>',
    args: () => ['backup', 'verify', '--live', redisBackup],
  },
  restore: { label: 'restore <backup>', args: () => ['restore', redisBackup] },
  // The target is the row's proxy in front of database 1 of the private Redis.
  restoreTarget: {
    label: 'restore <backup> --target-url <url>',
    args: () => ['restore', redisBackup, '--target-url', 'redis://127.0.0.1:{redis-proxy}/1'],
  },
  restorePostgres: {
    label: 'restore-postgres <backup> --dry-run',
    args: () => ['restore-postgres', tenantsBackup, '--dry-run'],
  },
} as const;
type CommandName = keyof typeof COMMANDS;

/** The store is down before the command starts. */
const downBefore = (
  store: Store,
  name: CommandName,
  code: 0 | 1 | 3 = 3,
  reason = CANNOT_REACH[store],
): CliFaultRow => ({
  command: COMMANDS[name].label,
  fault: `${STORE_NAME[store]} down before the start`,
  code,
  reason,
  prepare: () =>
    Promise.resolve({
      args: COMMANDS[name].args(),
      env: env(store === 'redis' ? { REDIS_URL: deadRedisUrl } : { DATABASE_URL: deadPostgresUrl }),
    }),
});

interface Midway {
  store: Store;
  action: 'kill' | 'cut' | 'freeze';
  /** The row needs a database of its own (a real migration takes the table's lock). */
  ownDatabase?: string;
  /** Where the row counts bytes to strike: the Redis proxy (default) or the PostgreSQL one. */
  countOn?: Store;
  /** How many bytes of answers before the fault (default: the REDIS_ or POSTGRES_MIDWAY_BYTES of `countOn`). */
  bytes?: number;
  /** More assertions on what the command left behind. */
  check?: (setup: { databaseUrl: string }) => Promise<void>;
}

/**
 * The store fails while the command runs: a private server of the row's own is killed after the
 * command's first batches, or the row's proxy cuts or freezes the store once it has forwarded
 * part of the keyspace.
 */
const midway = (name: CommandName, fault: Midway, reason: RegExp): CliFaultRow => ({
  command: COMMANDS[name].label,
  fault: `${STORE_NAME[fault.store]} ${{ kill: 'killed', cut: 'cut', freeze: 'frozen' }[fault.action]} in the middle`,
  code: 3,
  reason,
  prepare: async (): Promise<CliRun> => {
    const rowDatabase = fault.ownDatabase
      ? await createTestDatabase(`fault_table_cli_stores_${fault.ownDatabase}`)
      : databaseUrl;
    const closers: (() => Promise<void>)[] = [];
    const cleanup = async () => {
      for (const close of closers) await close();
    };
    if (fault.action === 'kill') {
      const victim = await startPrivateRedis();
      closers.push(() => victim.stop());
      const client = new Redis(victim.url);
      await seed(client);
      client.disconnect();
      return {
        args: COMMANDS[name].args(),
        env: env({ REDIS_URL: victim.url, DATABASE_URL: rowDatabase }),
        fault: afterBatches(victim.url, 3).then(() => victim.kill()),
        check: async () => fault.check?.({ databaseUrl: rowDatabase }),
        cleanup,
      };
    }
    const redisProxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
    const postgresProxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(rowDatabase).port),
    });
    closers.push(
      () => redisProxy.close(),
      () => postgresProxy.close(),
    );
    const victim: TcpProxy = fault.store === 'redis' ? redisProxy : postgresProxy;
    const counter = (fault.countOn ?? 'redis') === 'redis' ? redisProxy : postgresProxy;
    const bytes =
      fault.bytes ?? (counter === redisProxy ? REDIS_MIDWAY_BYTES : POSTGRES_MIDWAY_BYTES);
    return {
      args: COMMANDS[name]
        .args()
        .map((arg) => arg.replace('{redis-proxy}', String(redisProxy.port))),
      env: env({
        REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
        DATABASE_URL: withPort(rowDatabase, postgresProxy.port),
      }),
      fault: counter
        .whenServerSent(bytes)
        .then(() => (fault.action === 'cut' ? victim.cut() : victim.freeze())),
      check: async () => fault.check?.({ databaseUrl: rowDatabase }),
      cleanup,
    };
  },
});

/** The store stops answering before the command starts: connections open, nothing comes back. */
const frozenBefore = (store: Store, name: CommandName, reason: RegExp): CliFaultRow => ({
  command: COMMANDS[name].label,
  fault: `${STORE_NAME[store]} not answering from the start`,
  code: 3,
  reason,
  prepare: async () => {
    const proxy = await startTcpProxy(
      store === 'redis'
        ? { host: '127.0.0.1', port: redis.port }
        : { host: '127.0.0.1', port: Number(new URL(databaseUrl).port) },
    );
    proxy.freeze();
    const url =
      store === 'redis' ? `redis://127.0.0.1:${proxy.port}` : withPort(databaseUrl, proxy.port);
    return {
      args: COMMANDS[name].args(),
      env: env(store === 'redis' ? { REDIS_URL: url } : { DATABASE_URL: url }),
      cleanup: () => proxy.close(),
    };
  },
});

/** The run a migration left: stopped by the outage, so `migrate` resumes it. */
const interruptedRun = async ({ databaseUrl: url }: { databaseUrl: string }): Promise<void> => {
  const runs = await query<{ status: string; error: string | null }>(
    url,
    'SELECT status, error FROM migration_runs',
  );
  assert.equal(runs.length, 1, JSON.stringify(runs));
  assert.equal(runs[0].status, 'interrupted', JSON.stringify(runs));
};

const REDIS_LOST = /^Redis is unavailable|Redis stopped answering/;
const POSTGRES_LOST = /PostgreSQL/;
const RUN_STOPPED_BY = (store: RegExp): RegExp =>
  new RegExp(`^run [0-9a-f-]{36} stopped: .*${store.source}.*; it is interrupted: \`migrate\``);

const downRows: CliFaultRow[] = [
  ...(
    [
      'migrate',
      'dryRun',
      'runs',
      'check',
      'sync',
      'cleanup',
      'report',
      'backup',
      'backupVerify',
      'restorePostgres',
    ] as const
  ).map((name) => downBefore('postgres', name)),
  downBefore(
    'postgres',
    'test',
    1,
    /"passed": false[\s\S]*PostgreSQL does not answer: cannot reach PostgreSQL/,
  ),
  // Validation reads Redis only: it still answers.
  downBefore('postgres', 'validate', 0, new RegExp(`"scanned": ${KEYS}`)),
  ...(
    [
      'migrate',
      'validate',
      'check',
      'stats',
      'backup',
      'restore',
      'backupVerifyLive',
      'syncPending',
    ] as const
  ).map((name) => downBefore('redis', name)),
  downBefore(
    'redis',
    'test',
    1,
    /"passed": false[\s\S]*Redis at 127\.0\.0\.1:\d+ does not answer PING/,
  ),
];

const goingDownRows: CliFaultRow[] = [
  midway(
    'migrate',
    { store: 'redis', action: 'kill', ownDatabase: 'redis_killed', check: interruptedRun },
    RUN_STOPPED_BY(/Redis is unavailable/),
  ),
  midway('validate', { store: 'redis', action: 'kill' }, REDIS_LOST),
  midway('check', { store: 'redis', action: 'kill' }, REDIS_LOST),
  midway(
    'backupOut',
    {
      store: 'redis',
      action: 'cut',
      check: async () =>
        assert.deepEqual(await readdir(join(work, 'cut-backup')), [], 'no .partial is left'),
    },
    REDIS_LOST,
  ),
  midway('cleanup', { store: 'redis', action: 'cut' }, REDIS_LOST),
  // A restore's answers are short (+OK per key, ~50 kB for the keyspace).
  midway('restoreTarget', { store: 'redis', action: 'cut', bytes: 20_000 }, REDIS_LOST),
  midway(
    'migrate',
    { store: 'postgres', action: 'cut', ownDatabase: 'postgres_cut' },
    RUN_STOPPED_BY(POSTGRES_LOST),
  ),
  midway('check', { store: 'postgres', action: 'cut' }, POSTGRES_LOST),
  midway(
    'backupPostgres',
    { store: 'postgres', action: 'cut', countOn: 'postgres' },
    POSTGRES_LOST,
  ),
];

const frozenRows: CliFaultRow[] = [
  frozenBefore(
    'redis',
    'validate',
    /^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: .*no answer within \d+ ?s/,
  ),
  // The reply watchdog (3 s here) ends the connection attempt before its own 5 s timeout would.
  frozenBefore(
    'postgres',
    'runs',
    /^cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+: (.*timeout|no reply for \d+ s)/,
  ),
  midway('validate', { store: 'redis', action: 'freeze' }, REDIS_LOST),
  midway(
    'migrate',
    { store: 'redis', action: 'freeze', ownDatabase: 'redis_frozen', check: interruptedRun },
    RUN_STOPPED_BY(/Redis/),
  ),
  midway('check', { store: 'postgres', action: 'freeze' }, POSTGRES_LOST),
  midway(
    'migrate',
    { store: 'postgres', action: 'freeze', ownDatabase: 'postgres_frozen' },
    RUN_STOPPED_BY(POSTGRES_LOST),
  ),
  // The restore target's client has the configured client's command timeout too.
  midway('restoreTarget', { store: 'redis', action: 'freeze', bytes: 20_000 }, REDIS_LOST),
];

describe('CLI fault table: stores', { concurrency: true }, () => {
  let client: Redis;
  let context: INestApplicationContext;

  before(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url);
    await seed(client);
    const dead = await startPrivateRedis();
    deadRedisUrl = dead.url;
    await dead.kill();
    databaseUrl = await createTestDatabase('fault_table_cli_stores');
    const closed = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    await closed.close();
    deadPostgresUrl = withPort(databaseUrl, closed.port);
    work = await mkdtemp(join(tmpdir(), 'tm-fault-table-stores-'));
    redisBackup = join(work, 'redis.ndjson.gz');
    tenantsBackup = join(work, 'tenants.ndjson.gz');
    // Tenants in PostgreSQL (a consistent check, a large COPY) and good backups to restore.
    context = await createContextOverRedis(databaseUrl, client, {
      keyPrefix: PREFIX,
      backupDir: join(work, 'backups'),
    });
    await context.get(MigrationService).migrate({});
    const backups = context.get(BackupService);
    // Verified: without one, a cleanup is refused before it reads a key.
    assert.equal(
      (await backups.verify((await backups.backupRedis({ outPath: redisBackup })).id)).ok,
      true,
    );
    await backups.backupPostgres({ outPath: tenantsBackup });
  });

  after(async () => {
    await context?.close();
    client?.disconnect();
    await stopAllPrivateRedis();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('a store that is down, or goes down', { concurrency: 4 }, () => {
    for (const row of [...downRows, ...goingDownRows]) faultRowTest(row);
  });

  // Mostly waiting on timeouts: all at once, beside the others.
  describe('a store that stops answering', { concurrency: true }, () => {
    for (const row of frozenRows) faultRowTest(row);
  });
});
