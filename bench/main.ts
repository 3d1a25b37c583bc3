/**
 * Benchmarks: `npm run bench -- [migrate|rerun|backup|check] --tenants 1000000[,100000] [--batch-size N]
 * [--enhanced-pct 15] [--bad-pct 0] [--runs 1]`, and `npm run bench -- resolve [--tenants 20000]
 * [--concurrency 32] [--requests 50000] [--warmup 5000] [--rounds 2] [--enhanced-pct 15]`, and
 * `npm run bench -- properties [--cases 200] [--seed S]`, and `npm run bench -- api
 * [--tenants 100000] [--duration 30] [--connections 20] [--rate N] [--batch-size N] [--worker embedded|separate]`.
 *
 * `rerun`: seeds and migrates (not timed), then times a second migration of the unchanged
 * keyspace (every tenant unchanged, nothing written) against the upsert reference.
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
 * `api` (bench/api-scenario.ts): seeds as below into its own database (BENCH_API_DATABASE,
 * default tm_bench_api), starts the compiled admin app, and times a migration run as an
 * operation twice: alone, then (after emptying the tables it wrote) while autocannon loads four
 * admin routes for --duration seconds over --connections connections and five clients follow
 * the operation's event stream. Prints the load's req/s, p50/p99 latency, errors and non-2xx,
 * the events each stream client heard, both migrations' times and tenants/s, and loaded /
 * baseline throughput against the target 0.8 (PASS or FAIL). `--worker separate` runs the
 * migrations in a standalone worker process beside an app that only enqueues; `--rate N` caps the
 * load at N requests a second over all connections (default: as fast as they go).
 *
 * For each size: seeds a dedicated Redis database deterministically with the shared seed
 * script, runs the project's migration (the real CLI, as a child process) into a fresh
 * PostgreSQL database, then the shared reference pipeline on the same data, and prints both
 * times, the ratio, tenants/s and peak RSS. Peak RSS of the project is read from the child's
 * /proc/<pid>/status (VmHWM, the kernel's high-water mark). `--runs N` measures each size N
 * times on fresh stores: the project goes first on odd runs, the reference on even runs.
 *
 * Any step whose child fails (seed, schema, reference, a CLI command exiting with a code that is
 * not an answer, or killed), or a figure that is not a positive number, stops the bench with
 * one line `bench: <step> failed: <reason>` and exit 1.
 *
 * Files: settings.ts (command line and environment), figures.ts (pure rules), child.ts (the step
 * runner), steps.ts (seed, schema, reference, CLI), size-table.ts (the per-size loop and table),
 * copy-scenarios.ts (migrate, check), backup-scenario.ts, resolve.ts, properties.ts,
 * api-scenario.ts with its pure rules in api-figures.ts.
 */
import { errorMessage } from '#tenant-migration';
import { runBackup } from './backup-scenario.js';
import { runCheckScenario, runMigrate, runRerun } from './copy-scenarios.js';
import { adminUrl, databaseUrl, fail, flag, redisUrl, scenario, sizes } from './settings.js';
import { seedFresh } from './steps.js';

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

/** The api scenario loads autocannon, so only when it runs. */
const runApiScenario = async (): Promise<void> => {
  const { runApi } = await import('./api-scenario.js');
  await runApi();
};

const scenarios: Record<string, () => Promise<void>> = {
  api: runApiScenario,
  backup: runBackup,
  check: runCheckScenario,
  resolve: runResolveScenario,
  properties: runPropertiesScenario,
  migrate: runMigrate,
  rerun: runRerun,
};

(scenarios[scenario] ?? runMigrate)().catch((error: unknown) => {
  // A failed step's message names it: `<step> failed: <reason>`.
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exit(1);
});
