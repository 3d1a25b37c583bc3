/**
 * The pure rules of the `api` scenario (no I/O, so unit-tested in api-figures.spec.ts): its
 * whole-number options, the admin app's address in its log, a migration's throughput from its
 * operation, the loaded / baseline ratio and its verdict, how long the load ran beside the
 * migration, counting server-sent events as they arrive, and the report's lines.
 */
import { BenchStepError, positiveFigure } from './figures.js';

/** The loaded migration keeps at least this share of the baseline's tenants/s. */
export const API_TARGET_RATIO = 0.8;

/** A whole-number option from 1 to `max` (`_` allowed as a separator); RangeError otherwise. */
export const parseWholeNumber = (text: string, option: string, max: number): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!/^\d[\d_]*$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new RangeError(`${option} takes a whole number from 1 to ${max}, got "${text}"`);
  return n;
};

/** The address in the admin app's `listening on http://...` log line, once it is there. */
export const listeningUrl = (log: string): string | null =>
  /listening on (http:\/\/\S+)/.exec(log)?.[1] ?? null;

/** What the bench reads of a settled migration operation's `result`. */
export interface MigrationFigures {
  scanned: number;
  durationMs: number;
}

/**
 * The `counts.scanned` and `durationMs` of a migration operation's result, refused (naming the
 * step) unless the migration read exactly `expected` keys in a positive time.
 */
export const migrationFigures = (
  result: unknown,
  expected: number,
  step: string,
): MigrationFigures => {
  const shaped = result as { counts?: { scanned?: unknown }; durationMs?: unknown } | null;
  const scanned = shaped?.counts?.scanned;
  const durationMs = shaped?.durationMs;
  if (typeof scanned !== 'number' || typeof durationMs !== 'number')
    throw new BenchStepError(
      step,
      `the operation's result has no counts.scanned and durationMs: ${String(JSON.stringify(result)).slice(0, 200)}`,
    );
  if (scanned !== expected)
    throw new BenchStepError(step, `it scanned ${scanned} keys, expected ${expected}`);
  return { scanned, durationMs: positiveFigure(durationMs, step, 'its duration') };
};

/** Tenants a second of a migration, from its own figures. */
export const tenantsPerSecond = (figures: MigrationFigures, step: string): number =>
  positiveFigure(figures.scanned / (figures.durationMs / 1000), step, 'tenants/s');

/** Loaded throughput / baseline throughput, refused unless both (and the quotient) are positive. */
export const throughputRatio = (loaded: number, baseline: number): number => {
  const step = 'throughput ratio';
  return positiveFigure(
    positiveFigure(loaded, step, 'the loaded tenants/s') /
      positiveFigure(baseline, step, 'the baseline tenants/s'),
    step,
    'the ratio',
  );
};

/**
 * PASS when the ratio reaches the target, compared as it is printed (two decimals), so a line
 * never reads `0.80 (target >= 0.80): FAIL`.
 */
export const verdict = (ratio: number, target = API_TARGET_RATIO): 'PASS' | 'FAIL' =>
  Number(ratio.toFixed(2)) >= target ? 'PASS' : 'FAIL';

/** A span of wall time, in epoch milliseconds. */
export interface Span {
  start: number;
  end: number;
}

/** How the load window and the loaded migration lay against each other. */
export interface LoadOverlap {
  migrationSeconds: number;
  loadSeconds: number;
  /** Seconds of the migration during which the load ran. */
  overlapSeconds: number;
  /** The migration ended while the load was still running. */
  migrationEndedFirst: boolean;
  /** Seconds of the migration after the load had ended (it ran them unloaded). */
  unloadedTailSeconds: number;
}

/** Where the load window (`load`) fell on the migration's run (`migration`). */
export const loadOverlap = (migration: Span, load: Span): LoadOverlap => {
  const overlap = Math.max(
    0,
    Math.min(migration.end, load.end) - Math.max(migration.start, load.start),
  );
  return {
    migrationSeconds: (migration.end - migration.start) / 1000,
    loadSeconds: (load.end - load.start) / 1000,
    overlapSeconds: overlap / 1000,
    migrationEndedFirst: migration.end < load.end,
    unloadedTailSeconds: Math.max(0, migration.end - Math.max(load.end, migration.start)) / 1000,
  };
};

/**
 * Counts the events of a server-sent event stream as its text arrives in chunks of any size:
 * an event is a block ending with a blank line that has a `data` field (comments such as the
 * keep-alive, and the `retry` block, are not events). Remembers the event types it saw.
 */
export class EventStreamCounter {
  private pending = '';
  events = 0;
  readonly types = new Set<string>();

  /** Takes the next chunk of the stream's text. */
  push(chunk: string): void {
    this.pending += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.pending.indexOf('\n\n')) >= 0) {
      this.block(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 2);
    }
  }

  private block(text: string): void {
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith(':'));
    if (!lines.some((line) => line === 'data' || line.startsWith('data:'))) return;
    this.events++;
    const type = lines
      .find((line) => line.startsWith('event:'))
      ?.slice(6)
      .trim();
    this.types.add(type || 'message');
  }
}

/** What one event stream client heard. */
export interface StreamTally {
  events: number;
  sawResult: boolean;
}

/** The figures of the report. */
export interface ApiReport {
  tenants: number;
  batchSize: number | null;
  connections: number;
  durationSeconds: number;
  baseline: MigrationFigures;
  loaded: MigrationFigures;
  load: {
    requestsPerSecond: number;
    requests: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    non2xx: number;
  };
  streams: StreamTally[];
  overlap: LoadOverlap;
}

const whole = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The report's lines: the two migrations, the load, the event streams, the ratio and its verdict. */
export const apiReportLines = (report: ApiReport): string[] => {
  const baselineRate = tenantsPerSecond(report.baseline, 'baseline migration');
  const loadedRate = tenantsPerSecond(report.loaded, 'loaded migration');
  const ratio = throughputRatio(loadedRate, baselineRate);
  const row = (phase: string, figures: MigrationFigures, rate: number): string =>
    [
      whole(report.tenants).padStart(10),
      phase.padEnd(8),
      (figures.durationMs / 1000).toFixed(2).padStart(11),
      whole(rate).padStart(10),
    ].join('  ');
  const { load, overlap, streams } = report;
  const seen = streams.filter((s) => s.sawResult).length;
  const lines = [
    `scenario: api (admin API under load while a migration runs as an operation; ` +
      `${report.connections} connections for ${report.durationSeconds} s, batch size ${report.batchSize ?? 'default'})`,
    '   tenants  phase     migration_s  tenants/s',
    row('baseline', report.baseline, baselineRate),
    row('loaded', report.loaded, loadedRate),
    `load: ${whole(load.requestsPerSecond)} req/s mean, ${whole(load.requests)} requests, ` +
      `latency p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${load.errors} errors, ${load.non2xx} non-2xx`,
    `event streams: ${streams.length} clients, events ${streams.map((s) => s.events).join(' / ')}; ` +
      `result event seen by ${seen} of ${streams.length}`,
    `loaded / baseline throughput: ${ratio.toFixed(2)} (target >= ${API_TARGET_RATIO.toFixed(2)}): ${verdict(ratio)}`,
  ];
  if (overlap.migrationEndedFirst)
    lines.push(
      `note: the loaded operation ran ${overlap.migrationSeconds.toFixed(2)} s (start to finish) and ended before the ` +
        `${overlap.loadSeconds.toFixed(1)} s load window; the load ran beside it for ` +
        `${overlap.overlapSeconds.toFixed(2)} s. The ratio is from the two migrations' own durations.`,
    );
  else if (overlap.unloadedTailSeconds > 0)
    lines.push(
      `note: the load window ended ${overlap.unloadedTailSeconds.toFixed(2)} s before the loaded ` +
        `migration did: it ran its last ${overlap.unloadedTailSeconds.toFixed(2)} s unloaded (give a longer --duration).`,
    );
  return lines;
};
