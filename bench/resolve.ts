/**
 * The `resolve` scenario of the benchmark (wired in main.ts): throughput and p50/p99 latency
 * of `TenantResolver.resolve()` for PostgreSQL hits and for Redis fallbacks, in one process,
 * against a bare `SELECT <the resolver's column list> FROM tenants WHERE subdomain = $1` run
 * through the same pg pool (the one under the resolver's TypeORM DataSource).
 *
 * 1. Seeds N tenants (legacy and enhanced, none malformed) into the flushed bench Redis and
 *    re-creates the bench database with its schema (main.ts's `seedFresh`, as every scenario),
 *    then migrates them in-process with `MigrationService`.
 * 2. Hit phase: one random sequence of subdomains (deterministic) is replayed by the bare
 *    query and by the resolver with the same concurrency: a warm-up of each, then `rounds`
 *    alternating rounds (bare, resolver, bare, resolver, ...). The best round of each (by
 *    req/s) is compared: target resolver >= 0.70 x bare.
 * 3. Fallback phase: TRUNCATE tenants (Redis kept), then distinct subdomains, none resolved
 *    since, are resolved: each call reads Redis, validates and inserts the row. Afterwards the
 *    row count must equal the number of distinct subdomains resolved.
 *
 * Latency is per call (process.hrtime.bigint), from the call to its settlement, so it includes
 * waiting for a pool connection when the concurrency exceeds the pool size; percentiles are
 * nearest-rank over all calls of a round. `node_cpu_us` is this process's CPU time (user +
 * system, process.cpuUsage) per call: what the resolver adds over the bare query in Node, a
 * figure that stays readable when wall times are noisy (two cores shared with PostgreSQL).
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import {
  buildDataSourceOptions,
  MigrationService,
  TenantMigrationModule,
  TenantResolver,
} from '#tenant-migration';
// The resolver's own statement (not part of the library's public API), so the bare query
// is exactly what the resolver runs.
import { selectTenantRowSql } from '../libs/tenant-migration/src/tenants/tenant-row.js';

/** What main.ts hands over: its parsed environment and its helpers. */
export interface ResolveBenchSettings {
  redisUrl: string;
  databaseUrl: string;
  /** The --tenants values (one expected). */
  sizes: number[];
  flag: (name: string, fallback: string) => string;
  fail: (message: string) => never;
  /** Seeds N tenants into the flushed bench Redis and re-creates the bench database with its schema. */
  seedFresh: (n: number) => Promise<void>;
}

interface RoundStats {
  label: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time of this process (user + system) per call, in microseconds. */
  cpuUsPerCall: number;
  /** Calls that found no tenant (bare: no row; resolver: null). */
  misses: number;
}

const KEY_PREFIX = 'subdomain:';
const TARGET_RATIO = 0.7;

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];

/**
 * Runs `call` once per key with `concurrency` workers pulling the next key; returns wall time,
 * throughput and latency percentiles. A call that throws fails the whole round.
 */
const drive = async (
  label: string,
  keys: readonly string[],
  concurrency: number,
  call: (subdomain: string) => Promise<boolean>,
): Promise<RoundStats> => {
  const latencies = new Float64Array(keys.length);
  let next = 0;
  let misses = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < keys.length; i = next++) {
      const started = process.hrtime.bigint();
      const found = await call(keys[i]);
      latencies[i] = Number(process.hrtime.bigint() - started) / 1e6;
      if (!found) misses++;
    }
  };
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  latencies.sort();
  return {
    label,
    requests: keys.length,
    seconds,
    perSecond: keys.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuUsPerCall: (used.user + used.system) / keys.length,
    misses,
  };
};

/** A deterministic PRNG (mulberry32), so every run replays the same sequence. */
const random = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const shuffled = <T>(items: readonly T[], next: () => number): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

/** The library wired as the apps and the test support wire it: TypeORM, ioredis, the module. */
const createContext = (databaseUrl: string, redisUrl: string): Promise<INestApplicationContext> =>
  NestFactory.createApplicationContext(
    {
      imports: [
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(databaseUrl), retryAttempts: 0 }),
        RedisModule.forRoot({ type: 'single', url: redisUrl }),
        TenantMigrationModule.forRoot({ keyPrefix: KEY_PREFIX, operations: { mode: 'client' } }),
      ],
    },
    { logger: ['error', 'warn'] },
  );

const row = (s: RoundStats): string =>
  [
    s.label.padEnd(26),
    s.requests.toLocaleString('en-US').padStart(9),
    s.seconds.toFixed(2).padStart(8),
    Math.round(s.perSecond).toLocaleString('en-US').padStart(8),
    s.p50.toFixed(2).padStart(7),
    s.p99.toFixed(2).padStart(7),
    s.cpuUsPerCall.toFixed(0).padStart(10),
  ].join('  ');

const best = (rounds: RoundStats[], label: string): RoundStats => ({
  ...rounds.reduce((a, b) => (b.perSecond > a.perSecond ? b : a)),
  label,
});

export const runResolve = async (settings: ResolveBenchSettings): Promise<void> => {
  const { flag, fail } = settings;
  const whole = (name: string, fallback: string, min: number): number => {
    const text = flag(name, fallback).replace(/_/g, '');
    const n = Number(text);
    return Number.isInteger(n) && n >= min
      ? n
      : fail(`${name} takes a whole number >= ${min}, got "${text}"`);
  };
  if (settings.sizes.length !== 1) fail('resolve takes one --tenants value');
  const tenants = settings.sizes[0];
  const concurrency = whole('--concurrency', '32', 1);
  const requests = whole('--requests', '50000', 1);
  const warmup = whole('--warmup', '5000', 0);
  const rounds = whole('--rounds', '2', 1);
  const enhancedPct = flag('--enhanced-pct', '15');
  if (tenants < 2) fail('resolve needs --tenants of at least 2');
  const loadBefore = loadavg();

  await settings.seedFresh(tenants);

  const app = await createContext(settings.databaseUrl, settings.redisUrl);
  try {
    const dataSource = app.get(DataSource);
    const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
    const resolver = app.get(TenantResolver);

    process.stderr.write(
      'bench: migrating into PostgreSQL (in-process MigrationService, not timed here)\n',
    );
    const migration = await app.get(MigrationService).migrate({ autoResume: false });
    if (!migration.balanced || migration.counts.migrated !== tenants) {
      fail(`the migration did not move every tenant: ${JSON.stringify(migration.counts)}`);
    }
    await pool.query('VACUUM ANALYZE tenants');
    const subdomains = (
      await pool.query<{ subdomain: string }>('SELECT subdomain FROM tenants ORDER BY subdomain')
    ).rows.map((r) => r.subdomain);
    if (subdomains.length !== tenants)
      fail(`tenants holds ${subdomains.length} rows, expected ${tenants}`);

    // Hit phase: the same random sequence for both paths, through the same pool.
    const next = random(42);
    const sequence = Array.from(
      { length: requests },
      () => subdomains[Math.floor(next() * subdomains.length)],
    );
    const warmupSequence = sequence.slice(0, Math.min(warmup, sequence.length));
    const bareSql = selectTenantRowSql('tenants');
    const bare = async (subdomain: string): Promise<boolean> =>
      (await pool.query(bareSql, [subdomain])).rowCount === 1;
    const viaResolver = async (subdomain: string): Promise<boolean> =>
      (await resolver.resolve(subdomain)) !== null;

    process.stderr.write(
      `bench: hit phase: warm-up of ${warmupSequence.length.toLocaleString('en-US')} calls each\n`,
    );
    if (warmupSequence.length > 0) {
      await drive('warm-up bare', warmupSequence, concurrency, bare);
      await drive('warm-up resolver', warmupSequence, concurrency, viaResolver);
    }
    const bareRounds: RoundStats[] = [];
    const resolverRounds: RoundStats[] = [];
    for (let r = 1; r <= rounds; r++) {
      process.stderr.write(`bench: hit phase: round ${r} of ${rounds}\n`);
      bareRounds.push(await drive(`hit: bare SELECT #${r}`, sequence, concurrency, bare));
      resolverRounds.push(await drive(`hit: resolver #${r}`, sequence, concurrency, viaResolver));
    }
    const missing = [...bareRounds, ...resolverRounds].filter((s) => s.misses > 0);
    if (missing.length > 0)
      fail(`hits that found nothing: ${missing.map((s) => `${s.label}: ${s.misses}`).join(', ')}`);

    // Fallback phase: PostgreSQL emptied, every call a Redis read plus an insert.
    await pool.query('TRUNCATE tenants');
    const order = shuffled(subdomains, random(7));
    const fallbackWarmup = order.slice(0, Math.min(warmup, Math.floor(tenants / 10)));
    const fallbackKeys = order.slice(fallbackWarmup.length, fallbackWarmup.length + requests);
    process.stderr.write(
      `bench: fallback phase: warm-up of ${fallbackWarmup.length.toLocaleString('en-US')}, then ${fallbackKeys.length.toLocaleString('en-US')} distinct subdomains\n`,
    );
    if (fallbackWarmup.length > 0)
      await drive('warm-up fallback', fallbackWarmup, concurrency, viaResolver);
    const fallback = await drive('fallback: resolver', fallbackKeys, concurrency, viaResolver);
    const loadAfter = loadavg();
    const resolved = fallbackWarmup.length + fallbackKeys.length;
    const rows = Number(
      (await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM tenants')).rows[0].n,
    );

    const bareBest = best(bareRounds, 'hit: bare SELECT (best)');
    const resolverBest = best(resolverRounds, 'hit: resolver (best)');
    const ratio = resolverBest.perSecond / bareBest.perSecond;
    const checkOk = rows === resolved && fallback.misses === 0;

    console.log(
      `\nscenario: resolve (${tenants.toLocaleString('en-US')} tenants, seed --enhanced-pct ${enhancedPct} --bad-pct 0, concurrency ${concurrency}, ` +
        `pg pool max ${pool.options.max ?? 10}, resolver mode postgres-first, cache off)`,
    );
    console.log(
      `hit phase: ${warmupSequence.length.toLocaleString('en-US')} warm-up calls each, then ${rounds} alternating round(s); best round of each by req/s`,
    );
    console.log(
      'phase                        requests   seconds     req/s   p50_ms   p99_ms  node_cpu_us',
    );
    for (let r = 0; r < rounds; r++) {
      console.log(row(bareRounds[r]));
      console.log(row(resolverRounds[r]));
    }
    console.log(row(bareBest));
    console.log(row(resolverBest));
    console.log(row(fallback));
    console.log(
      `resolver / bare throughput (best rounds): ${ratio.toFixed(2)} (target >= ${TARGET_RATIO.toFixed(2)}: ${ratio >= TARGET_RATIO ? 'PASS' : 'BELOW'}); ` +
        `per round: ${bareRounds.map((b, i) => (resolverRounds[i].perSecond / b.perSecond).toFixed(2)).join(', ')}`,
    );
    const meanCpu = (list: RoundStats[]): number =>
      list.reduce((sum, s) => sum + s.cpuUsPerCall, 0) / list.length;
    console.log(
      `node CPU per hit (mean of rounds): resolver ${meanCpu(resolverRounds).toFixed(0)} us, bare ${meanCpu(bareRounds).toFixed(0)} us ` +
        `(+${(meanCpu(resolverRounds) - meanCpu(bareRounds)).toFixed(0)} us per call in the resolver path)`,
    );
    console.log(
      `fallback check: ${rows.toLocaleString('en-US')} rows in tenants, ${resolved.toLocaleString('en-US')} distinct subdomains resolved ` +
        `(${fallbackWarmup.length.toLocaleString('en-US')} warm-up + ${fallbackKeys.length.toLocaleString('en-US')} measured), ` +
        `${fallback.misses} not found: ${checkOk ? 'OK' : 'MISMATCH'}`,
    );
    console.log(
      `load average (1 min): ${loadBefore[0].toFixed(2)} before seeding, ${loadAfter[0].toFixed(2)} after the fallback phase (includes this benchmark and its PostgreSQL backends)`,
    );
    if (!checkOk) process.exitCode = 1;
  } finally {
    await app.close();
  }
};
