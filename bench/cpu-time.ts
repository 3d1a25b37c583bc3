/**
 * CPU time of the processes a scenario runs on (Linux, from /proc): the admin app, a worker,
 * PostgreSQL (its server and every backend, with the backends that ended since), the bench Redis
 * and the benchmark's own process (the load generator and the event stream clients). Read before
 * and after a phase, the difference says where the machine's two cores went during it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks a second of /proc's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** A process's CPU seconds from its /proc/<pid>/stat line: its own, and its reaped children's. */
export interface ProcessTimes {
  own: number;
  children: number;
}

/**
 * utime + stime (fields 14 and 15) and cutime + cstime (16 and 17) of a /proc/<pid>/stat
 * line, in seconds. The command name (field 2) is in parentheses and may hold spaces and
 * parentheses: fields are counted after its last `)`. Null for a line of another shape.
 */
export const parseStat = (line: string): ProcessTimes | null => {
  const end = line.lastIndexOf(')');
  if (end === -1) return null;
  // Field 3 (state) is the first after the name.
  const fields = line
    .slice(end + 2)
    .trim()
    .split(/\s+/);
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (![utime, stime, cutime, cstime].every((n) => Number.isSafeInteger(n) && n >= 0)) return null;
  return {
    own: (utime + stime) / TICKS_PER_SECOND,
    children: (cutime + cstime) / TICKS_PER_SECOND,
  };
};

/** The CPU seconds a phase cost each part, and the wall-clock seconds it took. */
export interface CpuSample {
  parts: Record<string, number>;
  at: number;
}

const readStat = (pid: number | string): string | null => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
};

/** The process's times, or null once it is gone. */
const timesOf = (pid: number | string): ProcessTimes | null => parseStat(readStat(pid) ?? '');

const commandOf = (pid: string): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
};

const nameOf = (pid: string): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** Whether CPU time can be read here (/proc is Linux's). */
export const canReadCpuTime = (): boolean => readStat('self') !== null;

/**
 * The CPU seconds used so far by each part: `processes` by their pid (the app, a worker), all
 * of PostgreSQL (the server with the backends it reaped, and the live backends), the redis-server
 * whose command line names `redisPort`, and this process (`bench`).
 */
export const sampleCpu = (processes: Record<string, number>, redisPort: string): CpuSample => {
  const parts: Record<string, number> = {};
  for (const [name, pid] of Object.entries(processes)) {
    parts[name] = timesOf(pid)?.own ?? 0;
  }
  let postgres = 0;
  let redis = 0;
  const pids = (() => {
    try {
      return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
    } catch {
      return []; // no /proc: nothing to read (see canReadCpuTime)
    }
  })();
  for (const pid of pids) {
    const name = nameOf(pid);
    if (name === 'postgres') {
      const times = timesOf(pid);
      // The server (its parent is not a postgres) counts the backends it reaped too.
      if (times) postgres += times.own + times.children;
    } else if (name === 'redis-server' && commandOf(pid).includes(`:${redisPort}`)) {
      redis += timesOf(pid)?.own ?? 0;
    }
  }
  parts.PostgreSQL = postgres;
  parts.Redis = redis;
  const usage = process.cpuUsage();
  parts.bench = (usage.user + usage.system) / 1e6;
  return { parts, at: Date.now() };
};

/** CPU seconds each part used between two samples, and the wall-clock seconds between them. */
export const cpuBetween = (
  from: CpuSample,
  to: CpuSample,
): { parts: Record<string, number>; seconds: number } => ({
  parts: Object.fromEntries(
    Object.entries(to.parts).map(([name, seconds]) => [
      name,
      Math.max(0, seconds - (from.parts[name] ?? 0)),
    ]),
  ),
  seconds: (to.at - from.at) / 1000,
});

const seconds = (value: number): string => value.toFixed(1);

/**
 * The report of where the CPU went during the baseline and the loaded migration: each part's
 * seconds in both and the difference, the share of the two cores each run kept busy, and what
 * one request of the load cost each part (the difference over the requests served).
 */
export const cpuReportLines = (
  baseline: { parts: Record<string, number>; seconds: number },
  loaded: { parts: Record<string, number>; seconds: number },
  requests: number,
  cores: number,
): string[] => {
  const names = Object.keys(loaded.parts);
  const total = (run: { parts: Record<string, number> }) =>
    Object.values(run.parts).reduce((sum, value) => sum + value, 0);
  const row = (name: string, a: number, b: number) =>
    `${name.padEnd(12)} ${seconds(a).padStart(9)} ${seconds(b).padStart(9)} ${`${b - a >= 0 ? '+' : ''}${seconds(b - a)}`.padStart(10)}`;
  const busy = (run: { parts: Record<string, number>; seconds: number }) =>
    run.seconds > 0 ? `${Math.round((100 * total(run)) / (cores * run.seconds))} %` : '-';
  const perRequest = names
    .map((name) => {
      const extra = (loaded.parts[name] ?? 0) - (baseline.parts[name] ?? 0);
      return requests > 0 && extra > 0
        ? `${name} ${((1000 * extra) / requests).toFixed(2)} ms`
        : null;
    })
    .filter((part) => part !== null);
  return [
    `CPU seconds (user + system) during each migration, ${cores} cores:`,
    `${'part'.padEnd(12)} ${'baseline'.padStart(9)} ${'loaded'.padStart(9)} ${'difference'.padStart(10)}`,
    ...names.map((name) => row(name, baseline.parts[name] ?? 0, loaded.parts[name] ?? 0)),
    row('all', total(baseline), total(loaded)),
    `cores kept busy: ${busy(baseline)} in the baseline (${seconds(baseline.seconds)} s), ${busy(loaded)} loaded (${seconds(loaded.seconds)} s)`,
    `the load's extra CPU per request answered during the migration: ${perRequest.join(', ') || '-'}`,
  ];
};
