/**
 * The steps every copy scenario shares: seeding the bench Redis, re-creating the bench
 * database with its schema, the reference pipeline, and the real CLI as a child process.
 */
import { resolve } from 'node:path';
import pg from 'pg';
import { measure, type Measurement } from './child.js';
import { referenceSeconds } from './figures.js';
import {
  adminUrl,
  cliNodeFlags,
  database,
  databaseUrl,
  redisUrl,
  referenceDir,
  root,
  seedArgs,
} from './settings.js';

const recreateDatabase = async (): Promise<void> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  await measure({
    name: 'schema (typeorm migration:run)',
    command: process.execPath,
    args: [
      resolve(root, 'node_modules/typeorm/cli.js'),
      'migration:run',
      '-d',
      'dist/ormconfig.js',
    ],
    env: { DATABASE_URL: databaseUrl },
    cwd: root,
  });
};

/** Seeds N tenants (deterministic) into the flushed bench Redis and re-creates the bench database. */
export const seedFresh = async (n: number): Promise<void> => {
  process.stderr.write(`bench: seeding ${n.toLocaleString('en-US')} tenants into ${redisUrl}\n`);
  await measure({
    name: 'seed (seed-redis.js)',
    command: process.execPath,
    args: [resolve(referenceDir, 'seed-redis.js'), String(n), '--flush', ...seedArgs],
    env: { REDIS_URL: redisUrl },
    cwd: root,
  });
  await recreateDatabase();
};

/**
 * The reference pipeline's two modes: `upsert` (COPY into a staging table, one INSERT .. ON
 * CONFLICT) and `copy` (COPY straight into its table: the raw-COPY floor).
 */
export type ReferenceMode = 'upsert' | 'copy';

/** Runs the reference pipeline in `mode`; its own timing line is the reference time. */
export const runReference = async (mode: ReferenceMode = 'upsert'): Promise<Measurement> => {
  process.stderr.write(`bench: reference pipeline (${mode})\n`);
  const run = await measure({
    name: `reference pipeline (${mode})`,
    command: process.execPath,
    args: [resolve(referenceDir, 'reference-pipeline.js'), '--mode', mode],
    env: { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl },
    cwd: root,
  });
  return { ...run, seconds: referenceSeconds(run.output) };
};

/**
 * Runs the CLI with `args` against the bench stores. `acceptExit` lists the exit codes that are
 * an answer for this command (`migrate` exits 1 when it rejected keys, which `--bad-pct` asks for).
 */
export const cli = (
  step: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  acceptExit: readonly number[] = [0],
): Promise<Measurement> =>
  measure({
    name: step,
    command: process.execPath,
    args: [...cliNodeFlags, resolve(root, 'dist/cli/tenant-migrate.mjs'), ...args],
    env: { DATABASE_URL: databaseUrl, TENANT_KEY_PREFIX: 'subdomain:', ...env },
    cwd: root,
    acceptExit,
  });

/** Runs `redis-cli` with `args` (the backup scenario's FLUSHDB of its restore target). */
export const redisCli = (step: string, args: string[]): Promise<Measurement> =>
  measure({ name: step, command: 'redis-cli', args, env: {}, cwd: root });
