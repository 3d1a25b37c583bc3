/**
 * Benchmarks: `npm run bench -- [migrate|backup|check] --tenants 1000000[,100000] [--batch-size N]
 * [--enhanced-pct 15] [--bad-pct 0]`, and `npm run bench -- resolve [--tenants 20000]
 * [--concurrency 32] [--requests 50000] [--warmup 5000] [--rounds 2] [--enhanced-pct 15]`, and
 * `npm run bench -- properties [--cases 200] [--seed S]`.
 *
 * `backup`: seeds as below, then times the CLI's backup, verify, and restore into an empty
 * Redis database (BENCH_RESTORE_REDIS_URL, default DB 14, flushed), with peak RSS of each.
 * `check`: migrates, then times the integrity check of the consistent stores against the
 * reference pipeline run right after it.
 * `resolve` (bench/resolve.ts): seeds and migrates N tenants, then measures the fallback
 * resolver's throughput and p50/p99 latency for PostgreSQL hits, against a bare
 * `SELECT .. WHERE subdomain = $1` through the same pool (target >= 0.70 of its throughput),
 * and for Redis fallbacks after emptying `tenants`; all with the given concurrency.
 * `properties` (bench/properties.ts): the end-to-end property of test/properties.e2e-spec.ts
 * (hostile generated keyspaces, dry run then migration, every key in one bucket) for N cases
 * against its own database and key prefix; prints cases, keys and seconds.
 *
 * For each size: seeds a dedicated Redis database deterministically with the shared seed
 * script, runs the project's migration (the real CLI, as a child process) into a fresh
 * PostgreSQL database, then the shared reference pipeline on the same data, and prints both
 * times, the ratio, tenants/s and peak RSS. Peak RSS of the project is read from the child's
 * /proc/<pid>/status (VmHWM, the kernel's high-water mark).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { errorMessage } from '#tenant-migration';

interface Measurement {
  seconds: number;
  peakRssMb: number;
  output: string;
}

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const fail = (message: string): never => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};

const copyOptions = ['--tenants', '--batch-size', '--enhanced-pct', '--bad-pct'];
/** The options each scenario takes. */
const scenarios = new Map<string, string[]>([
  ['migrate', copyOptions],
  ['backup', copyOptions],
  ['check', copyOptions],
  [
    'resolve',
    ['--tenants', '--concurrency', '--requests', '--warmup', '--rounds', '--enhanced-pct'],
  ],
  ['properties', ['--cases', '--seed']],
]);
const scenario = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'migrate';
const known = new Set(
  scenarios.get(scenario) ??
    fail(`unknown scenario "${scenario}"; available: ${[...scenarios.keys()].join(', ')}`),
);
for (let i = scenario === argv[0] ? 1 : 0; i < argv.length; i += 2) {
  if (!known.has(argv[i]))
    fail(`unknown option ${argv[i]} for ${scenario}; options: ${[...known].join(', ')}`);
}
const sizes = flag('--tenants', scenario === 'resolve' ? '20000' : '100000')
  .split(',')
  .map((s) => {
    const n = Number(s.replace(/_/g, ''));
    return Number.isInteger(n) && n > 0
      ? n
      : fail(`--tenants takes positive whole numbers, got "${s}"`);
  });
const batchSize = flag('--batch-size', '');
const seedArgs = [
  '--enhanced-pct',
  flag('--enhanced-pct', '15'),
  '--bad-pct',
  flag('--bad-pct', '0'),
];

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const referenceDir = resolve(process.env.BENCH_REFERENCE_DIR ?? resolve(root, '../shared/bench'));
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
/** Where the backup scenario restores to; flushed before each restore. */
const restoreUrl = process.env.BENCH_RESTORE_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const adminUrl =
  process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = 'tm_bench';
const databaseUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();
if (!existsSync(resolve(referenceDir, 'reference-pipeline.js'))) {
  fail(`reference pipeline not found in ${referenceDir}; set BENCH_REFERENCE_DIR`);
}

/**
 * The node flags of `npm run cli` (a smaller young generation keeps peak memory flat), so the
 * benchmark runs the CLI exactly as an operator does, without the npm wrapper's own time.
 * Read once: every CLI run of every size uses them.
 */
const cliNodeFlags = ((): string[] => {
  const script = (
    JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts.cli;
  const match = /\bnode((?:\s+--\S+)*)\s+dist\/apps\/cli/.exec(script);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
})();

const peakRss = (pid: number): number => {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** Runs a command to completion; returns wall time, peak RSS and stdout. */
const measure = (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measurement> =>
  new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let peak = 0;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setInterval(() => (peak = Math.max(peak, peakRss(child.pid ?? 0))), 50);
    child.on('error', reject);
    child.on('exit', () => (peak = Math.max(peak, peakRss(child.pid ?? 0))));
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0 && code !== 1)
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      else resolvePromise({ seconds, peakRssMb: Math.round(peak / 1048576), output });
    });
  });

const recreateDatabase = async (): Promise<void> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  await measure(
    process.execPath,
    [resolve(root, 'node_modules/typeorm/cli.js'), 'migration:run', '-d', 'dist/ormconfig.js'],
    {
      DATABASE_URL: databaseUrl,
    },
  );
};

/** Seeds N tenants (deterministic) into the flushed bench Redis and re-creates the bench database. */
const seedFresh = async (n: number): Promise<void> => {
  process.stderr.write(`bench: seeding ${n.toLocaleString('en-US')} tenants into ${redisUrl}\n`);
  await measure(
    process.execPath,
    [resolve(referenceDir, 'seed-redis.js'), String(n), '--flush', ...seedArgs],
    { REDIS_URL: redisUrl },
  );
  await recreateDatabase();
};

/** Runs the reference pipeline; its own timing line is the reference time. */
const runReference = async (): Promise<Measurement & { seconds: number }> => {
  process.stderr.write('bench: reference pipeline\n');
  const run = await measure(process.execPath, [resolve(referenceDir, 'reference-pipeline.js')], {
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
  });
  return { ...run, seconds: Number(/seconds=([\d.]+)/.exec(run.output)?.[1] ?? NaN) };
};

const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<Measurement> =>
  measure(
    process.execPath,
    [...cliNodeFlags, resolve(root, 'dist/apps/cli/src/main.js'), ...args],
    {
      DATABASE_URL: databaseUrl,
      TENANT_KEY_PREFIX: 'subdomain:',
      ...env,
    },
  );

/** One size's row of a scenario's table (after the tenants column), and the peak RSS it compares across sizes. */
interface SizeResult {
  cells: string[];
  peakRssMb: number;
}

/**
 * Runs `measureSize` for each --tenants size on freshly seeded stores, then prints the
 * scenario's table and, for two sizes or more, the ratio of their peak RSS.
 */
const forEachSize = async (
  title: string,
  header: string,
  measureSize: (n: number) => Promise<SizeResult>,
): Promise<void> => {
  const rows: string[] = [];
  const rss = new Map<number, number>();
  for (const n of sizes) {
    await seedFresh(n);
    const { cells, peakRssMb } = await measureSize(n);
    rss.set(n, peakRssMb);
    rows.push([n.toLocaleString('en-US').padStart(10), ...cells].join('  '));
  }
  console.log(`\nscenario: ${title}`);
  console.log(header);
  for (const row of rows) console.log(row);
  if (rss.size < 2) return;
  const [small, large] = [Math.min(...rss.keys()), Math.max(...rss.keys())];
  console.log(
    `peak RSS ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')}: ${(rss.get(large)! / rss.get(small)!).toFixed(2)}x`,
  );
};

/** Backup of N keys to a file, verify, then restore into an empty Redis database. */
const runBackup = (): Promise<void> => {
  const folder = resolve(root, 'backups', 'bench');
  return forEachSize(
    'backup (Redis keyspace to a gzip file, verify, restore into an empty database)',
    '   tenants  backup_s  verify_s  restore_s  file_mb  backup_rss  verify_rss  restore_rss',
    async (n) => {
      process.stderr.write('bench: backup\n');
      const backup = await cli(['backup', '--json'], { REDIS_URL: redisUrl, BACKUP_DIR: folder });
      const summary = JSON.parse(backup.output) as {
        id: string;
        path: string;
        entryCount: number;
        totalBytes: number;
      };
      if (summary.entryCount !== n) fail(`backup holds ${summary.entryCount} keys, expected ${n}`);
      process.stderr.write('bench: verify\n');
      const verify = await cli(['backup', 'verify', summary.id, '--json'], { REDIS_URL: redisUrl });
      process.stderr.write('bench: restore into an empty database\n');
      await measure('redis-cli', ['-u', restoreUrl, 'FLUSHDB'], {});
      const restore = await cli(['restore', summary.id, '--target-url', restoreUrl, '--json'], {
        REDIS_URL: redisUrl,
      });
      const restored = JSON.parse(restore.output) as { restored: number };
      if (restored.restored !== n) fail(`restored ${restored.restored} keys, expected ${n}`);
      const fileMb = (await stat(summary.path)).size / 1048576;
      await rm(summary.path, { force: true });
      return {
        cells: [
          backup.seconds.toFixed(2).padStart(8),
          verify.seconds.toFixed(2).padStart(8),
          restore.seconds.toFixed(2).padStart(9),
          fileMb.toFixed(1).padStart(7),
          String(backup.peakRssMb).padStart(10),
          String(verify.peakRssMb).padStart(10),
          String(restore.peakRssMb).padStart(11),
        ],
        peakRssMb: Math.max(backup.peakRssMb, restore.peakRssMb),
      };
    },
  );
};

/** Migrates N tenants, then times the integrity check of the consistent stores against the reference pipeline. */
const runCheckScenario = (): Promise<void> =>
  forEachSize(
    'check (integrity check of a consistent migration vs the reference pipeline)',
    '   tenants   check_s  refer_s   ratio  check_rss  result',
    async (n) => {
      process.stderr.write('bench: migration (not timed here)\n');
      await cli(['migrate', '--json'], { REDIS_URL: redisUrl });
      process.stderr.write('bench: integrity check\n');
      const check = await cli(['check', '--json'], { REDIS_URL: redisUrl });
      const report = JSON.parse(check.output) as {
        consistent: boolean;
        redisKeys: number;
        matching: number;
      };
      if (!report.consistent || report.redisKeys !== n)
        fail(`the check of a fresh migration is not clean: ${check.output.slice(0, 500)}`);
      const reference = await runReference();
      return {
        cells: [
          check.seconds.toFixed(2).padStart(8),
          reference.seconds.toFixed(2).padStart(9),
          (check.seconds / reference.seconds).toFixed(2).padStart(6),
          String(check.peakRssMb).padStart(9),
          `matching ${report.matching.toLocaleString('en-US')}`,
        ],
        peakRssMb: check.peakRssMb,
      };
    },
  );

const runMigrate = (): Promise<void> =>
  forEachSize(
    `migrate (batch size ${batchSize || 'default'}, seed ${seedArgs.join(' ')})`,
    '   tenants  project_s  refer_s   ratio  tenants/s  proj_rss  ref_rss  accounting',
    async (n) => {
      process.stderr.write('bench: project migration\n');
      const project = await cli(
        ['migrate', '--json', ...(batchSize ? ['--batch-size', batchSize] : [])],
        { REDIS_URL: redisUrl },
      );
      const result = JSON.parse(project.output) as {
        counts: { scanned: number; migrated: number; rejected: number };
        balanced: boolean;
      };
      if (!result.balanced || result.counts.scanned !== n)
        fail(`project accounting is off: ${JSON.stringify(result.counts)}`);
      const reference = await runReference();
      return {
        cells: [
          project.seconds.toFixed(2).padStart(9),
          reference.seconds.toFixed(2).padStart(9),
          (project.seconds / reference.seconds).toFixed(2).padStart(6),
          Math.round(n / project.seconds)
            .toLocaleString('en-US')
            .padStart(11),
          String(project.peakRssMb).padStart(9),
          String(reference.peakRssMb).padStart(8),
          `migrated ${result.counts.migrated.toLocaleString('en-US')}, rejected ${result.counts.rejected.toLocaleString('en-US')}`,
        ],
        peakRssMb: project.peakRssMb,
      };
    },
  );

/** The resolve scenario loads Nest and the library, so only when it runs. */
const runResolveScenario = async (): Promise<void> => {
  const { runResolve } = await import('./resolve.js');
  await runResolve({ redisUrl, databaseUrl, sizes, flag, fail, seedFresh });
};

/** The properties scenario loads Nest, the library and fast-check, so only when it runs. */
const runPropertiesScenario = async (): Promise<void> => {
  const { runProperties } = await import('./properties.js');
  await runProperties({ redisUrl, adminUrl, flag, fail });
};

(scenario === 'backup'
  ? runBackup()
  : scenario === 'check'
    ? runCheckScenario()
    : scenario === 'resolve'
      ? runResolveScenario()
      : scenario === 'properties'
        ? runPropertiesScenario()
        : runMigrate()
).catch((error: unknown) => {
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exit(1);
});
