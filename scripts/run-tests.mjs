#!/usr/bin/env node
// Runs the compiled test files with Node's test runner: unit specs (*.spec.js, beside the
// code in libs/, apps/ and bench/) and integration/e2e specs (test/**/*.e2e-spec.js, against
// the real PostgreSQL and Redis). `--unit` runs the unit specs only. Each spec file owns its
// database and key prefix, so files run in parallel; both carry this run's tag (TM_TEST_RUN),
// so two runs on one machine never touch each other's data, and the databases and keys of the
// run are removed when it ends.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';

const unitOnly = process.argv.includes('--unit');
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
const files = ['dist/libs', 'dist/apps', 'dist/bench', 'dist/test']
  .flatMap((dir) => {
    try {
      return walk(dir);
    } catch {
      return [];
    }
  })
  .filter((f) => f.endsWith('.spec.js') || (!unitOnly && f.endsWith('.e2e-spec.js')))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no compiled spec files found; did the build run?');
  process.exit(1);
}
// A compiled spec whose source is gone (deleted or renamed) would still run from dist/: refuse.
const stale = files.filter((f) => !existsSync(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
if (stale.length > 0) {
  console.error(
    `run-tests: compiled specs without a source (remove them, or rm -rf dist): ${stale.join(', ')}`,
  );
  process.exit(1);
}
// And every spec source must have been compiled: a suite that silently lost its files would pass.
const sources = ['libs', 'apps', 'bench', 'test']
  .flatMap((dir) => {
    try {
      return walk(dir);
    } catch {
      return [];
    }
  })
  .filter((f) => f.endsWith('.spec.ts') || (!unitOnly && f.endsWith('.e2e-spec.ts')));
const missing = sources.filter((f) => !files.includes(`dist/${f.replace(/\.ts$/, '.js')}`));
const noEndToEnd = !unitOnly && !files.some((f) => f.endsWith('.e2e-spec.js'));
if (missing.length > 0 || noEndToEnd) {
  console.error(
    `run-tests: spec sources that were not compiled: ${missing.join(', ') || '(no e2e specs at all)'}`,
  );
  process.exit(1);
}

// The CLI's tests run the bundle (dist/cli/tenant-migrate.mjs): one built before the last change
// would test old code.
if (!unitOnly) {
  const bundle = spawnSync(process.execPath, ['scripts/bundle-cli.mjs', '--check'], {
    stdio: 'inherit',
  });
  if (bundle.status !== 0) process.exit(1);
}

const run = `r${process.pid}`;
// A test that hangs fails after 10 minutes instead of holding CI until its own limit. The limit
// covers each spec file too: the CLI files start a few hundred CLI processes, which on a loaded
// 2-core machine took over 5 minutes.
const { status } = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=4', '--test-timeout=600000', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, TM_TEST_RUN: run },
  },
);

/** Drops this run's databases and deletes its keys; a failure here never hides the tests' result. */
const cleanUp = async () => {
  if (unitOnly) return;
  const admin = new pg.Client({
    connectionString:
      process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await admin.connect();
  const { rows } = await admin.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `tm\\_${run}\\_%`,
  ]);
  for (const { datname } of rows)
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();
  for (const db of [0, 11, 12, 13]) {
    const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11');
    url.pathname = `/${db}`;
    const redis = new Redis(url.toString());
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(
        cursor,
        'MATCH',
        `tm-test:${run}:*`,
        'COUNT',
        1000,
      );
      cursor = String(next);
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
};
await cleanUp().catch((error) => console.error(`run-tests: clean-up failed: ${error.message}`));
process.exit(status ?? 1);
