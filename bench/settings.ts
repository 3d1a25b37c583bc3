/**
 * The benchmark's command line and environment, read once at start-up: the scenario, its
 * options, and where the bench's stores and reference tools are. Bad usage exits 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '#tenant-migration';
import { parseRuns } from './figures.js';
import { parseWholeNumber } from './api-figures.js';

const argv = process.argv.slice(2);

/** The value after `name` on the command line, or `fallback`. */
export const flag = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};

/** Bad usage or a result the bench cannot accept: one line on stderr, exit 2. */
export const fail = (message: string): never => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};

const copyOptions = ['--tenants', '--batch-size', '--enhanced-pct', '--bad-pct', '--runs'];
/** The options each scenario takes. */
const scenarios = new Map<string, string[]>([
  ['migrate', copyOptions],
  ['rerun', copyOptions],
  ['backup', copyOptions],
  ['check', copyOptions],
  [
    'resolve',
    ['--tenants', '--concurrency', '--requests', '--warmup', '--rounds', '--enhanced-pct'],
  ],
  ['properties', ['--cases', '--seed']],
  ['api', ['--tenants', '--duration', '--connections', '--rate', '--batch-size', '--worker']],
]);
export const scenario = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'migrate';
const known = new Set(
  scenarios.get(scenario) ??
    fail(`unknown scenario "${scenario}"; available: ${[...scenarios.keys()].join(', ')}`),
);
for (let i = scenario === argv[0] ? 1 : 0; i < argv.length; i += 2) {
  if (!known.has(argv[i]))
    fail(`unknown option ${argv[i]} for ${scenario}; options: ${[...known].join(', ')}`);
}
export const sizes = flag('--tenants', scenario === 'resolve' ? '20000' : '100000')
  .split(',')
  .map((s) => {
    const n = Number(s.replace(/_/g, ''));
    return Number.isInteger(n) && n > 0
      ? n
      : fail(`--tenants takes positive whole numbers, got "${s}"`);
  });
/** How many times each size is measured (the order of project and reference alternates). */
export const runs = ((): number => {
  try {
    return parseRuns(flag('--runs', '1'));
  } catch (error) {
    return fail(errorMessage(error));
  }
})();
export const batchSize = flag('--batch-size', '');
/** A whole-number option of the api scenario, from 1 to `max`; bad usage exits 2. */
const wholeOption = (name: string, fallback: string, max: number): number => {
  try {
    return parseWholeNumber(flag(name, fallback), name, max);
  } catch (error) {
    return fail(errorMessage(error));
  }
};
/** The api scenario's load: seconds of autocannon, and its connections. */
export const loadSeconds = wholeOption('--duration', '30', 3600);
export const loadConnections = wholeOption('--connections', '20', 1000);
/**
 * The load's rate over all its connections, in requests a second; unset: as fast as the
 * connections go (autocannon's closed loop, the default).
 */
export const loadRate = flag('--rate', '') === '' ? null : wholeOption('--rate', '', 1_000_000);
/**
 * Where the api scenario's migration runs: `embedded`, in the admin app's own worker (the
 * default, the Quick start's setup), or `separate`, in a standalone worker process beside an app
 * that only enqueues.
 */
export const workerPlacement = ((): 'embedded' | 'separate' => {
  const value = flag('--worker', 'embedded');
  if (value === 'embedded' || value === 'separate') return value;
  return fail(`--worker must be embedded or separate, got ${JSON.stringify(value)}`);
})();
export const seedArgs = [
  '--enhanced-pct',
  flag('--enhanced-pct', '15'),
  '--bad-pct',
  flag('--bad-pct', '0'),
];

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const referenceDir = resolve(
  process.env.BENCH_REFERENCE_DIR ?? resolve(root, '../shared/bench'),
);
export const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
/** Where the backup scenario restores to; flushed before each restore. */
export const restoreUrl = process.env.BENCH_RESTORE_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
export const adminUrl =
  process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * The bench's own PostgreSQL database, dropped and re-created for every run. The api scenario
 * has one of its own (BENCH_API_DATABASE), so it never drops the database of another scenario.
 */
const databaseVariable = scenario === 'api' ? 'BENCH_API_DATABASE' : 'BENCH_DATABASE';
export const database =
  process.env[databaseVariable] ?? (scenario === 'api' ? 'tm_bench_api' : 'tm_bench');
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database))
  fail(`${databaseVariable} must be a lower-case identifier, got "${database}"`);
export const databaseUrl = (() => {
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
export const cliNodeFlags = ((): string[] => {
  const script = (
    JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts.cli;
  const match = /\bnode((?:\s+--\S+)*)\s+dist\/cli\/tenant-migrate\.mjs/.exec(script);
  // A script the pattern no longer matches would run the CLI unlike an operator does.
  const flags =
    match?.[1] ?? fail(`package.json's "cli" script does not run dist/cli/tenant-migrate.mjs`);
  return flags.trim().split(/\s+/).filter(Boolean);
})();
