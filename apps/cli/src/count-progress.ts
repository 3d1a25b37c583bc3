import { formatCount as n } from './output-format.js';

/** Where a counted task stands: how many items are done, of how many when known, how fast. */
export interface CountSnapshot {
  done: number;
  /** The items to do, never below `done`; null when the service does not know. */
  total: number | null;
  /** Items per second since the count started, rounded. */
  rate: number;
  /** Seconds left at that rate; null without a total or before the rate is known. */
  etaSeconds: number | null;
}

/**
 * The count of one task whose service reports only how many items it has done (a check's keys,
 * a backup file's entries) and, sometimes, of how many. A report of 0 starts the count anew: a
 * service reports 0 when a pass begins after another (a restore's, once the file is verified),
 * so that the rate is that pass's own.
 */
export class CountProgress {
  private started: number;

  constructor(now: number) {
    this.started = now;
  }

  report(done: number, total: number | null, now: number): CountSnapshot {
    if (done === 0) this.started = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    // A damaged file can hold more entries than its record says.
    const of = total === null ? null : Math.max(total, done);
    const etaSeconds = of !== null && rate > 0 ? Math.round((of - done) / rate) : null;
    return { done, total: of, rate, etaSeconds };
  }
}

/**
 * The progress line for a log: `checking: 12,000 keys (4,000 keys/s)`, or with a total
 * `restoring: 3,000/10,000 entries (1,500 entries/s, ETA 5s)`.
 */
export const countLine = (label: string, unit: string, s: CountSnapshot): string => {
  const of = s.total === null ? '' : `/${n(s.total)}`;
  const eta = s.etaSeconds === null ? '' : `, ETA ${s.etaSeconds}s`;
  return `${label}: ${n(s.done)}${of} ${unit} (${n(s.rate)} ${unit}/s${eta})`;
};

/**
 * The format of the bar drawn on a terminal (cli-progress placeholders, `{rate}` given as a
 * payload), laid out as migrate's: with a total, a bar and an ETA; without one, the count alone.
 */
export const countBarFormat = (label: string, unit: string, withTotal: boolean): string =>
  withTotal
    ? `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`
    : `${label} {value} ${unit} | {rate}/s`;

/**
 * When the next progress line is due on a stderr that is no terminal: at most one every
 * `interval` ms (PROGRESS_INTERVAL_MS; 0, at every report). A migration's first line comes at its
 * first report; a count's, one interval after the command set it up (`start`), so that a
 * command that ends sooner writes none.
 */
export class LinePace {
  private last = 0;

  constructor(private readonly interval: number) {}

  /** A count begins: unless a line was written already, the first is due one interval from `now`. */
  start(now: number): void {
    if (this.last === 0) this.last = now;
  }

  /** Whether a line is due at `now`; if so, the next one is due an interval later. */
  due(now: number): boolean {
    if (now - this.last < this.interval) return false;
    this.last = now;
    return true;
  }
}
