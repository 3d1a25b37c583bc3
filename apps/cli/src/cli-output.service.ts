import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SingleBar, Presets } from 'cli-progress';
import type { ExceptionSample, MigrationProgress } from '#tenant-migration';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { CountProgress, countBarFormat, countLine, LinePace } from './count-progress.js';
import { describeFailure, printFailureDocument } from './exit-codes.js';
import { formatCount as n } from './output-format.js';
import { terminalSafeJson, terminalText } from './terminal-text.js';
import { VerboseLog } from './verbose-log.service.js';

/**
 * What every command's output shares: the JSON document, escaped lines, the one-line error,
 * progress, and the table rows the human views are built of. Each command's own view lives
 * beside it (`commands/*.printer.ts`). Human output and progress go to stderr/stdout as usual;
 * with `--json`, stdout carries exactly one JSON document (the failure document when the
 * command fails) and progress stays on stderr. Every human line, on either stream, passes
 * through `terminalText` (in `line` and `err`): key names, values and messages quoting them
 * come from the stores, and must not drive the operator's terminal. The verbose log
 * (`verbose`) is stderr's too.
 */
@Injectable()
export class CliOutput {
  private bar: SingleBar | null = null;
  /** Whose bar is drawn: a restore's verification hands over to the restore's own. */
  private barOwner: object | null = null;
  /** The progress lines on a stderr that is no terminal: at most one every PROGRESS_INTERVAL_MS. */
  private readonly pace: LinePace;

  constructor(
    readonly verbose: VerboseLog,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.pace = new LinePace(config.get('PROGRESS_INTERVAL_MS', { infer: true }));
  }

  /** A bar only on a terminal, and not under the verbose log: its redraws would garble the log's lines. */
  private get drawsBars(): boolean {
    return process.stderr.isTTY === true && !this.verbose.enabled;
  }

  /**
   * A migration's progress callback: a bar on a TTY, otherwise a log line at once and then at
   * most one every PROGRESS_INTERVAL_MS (5 s). Both on stderr.
   */
  progress(label: string): (p: MigrationProgress) => void {
    const tty = this.drawsBars;
    return (p) => {
      if (tty) {
        if (!this.bar) {
          this.bar = new SingleBar(
            {
              format: `${label} [{bar}] {value}/{total} keys | {rate}/s | ETA {eta_formatted} | migrated {migrated} rejected {rejected}`,
              stream: process.stderr,
              etaBuffer: 50,
            },
            Presets.shades_classic,
          );
          this.bar.start(p.estimatedTotal ?? p.counts.scanned, 0, {
            rate: '0',
            migrated: '0',
            rejected: '0',
          });
        }
        this.bar.setTotal(Math.max(p.estimatedTotal ?? 0, p.counts.scanned));
        this.bar.update(p.counts.scanned, {
          rate: n(p.rate),
          migrated: n(p.counts.migrated),
          rejected: n(p.counts.rejected),
        });
      } else if (this.pace.due(Date.now())) {
        const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds}s`;
        this.err(
          `${label}: scanned ${n(p.counts.scanned)}, migrated ${n(p.counts.migrated)}, unchanged ${n(p.counts.unchanged)}, ` +
            `conflicts ${n(p.counts.conflicts)}, rejected ${n(p.counts.rejected)} (${n(p.rate)} keys/s${eta})`,
        );
      }
    };
  }

  /**
   * The progress callback of a service that reports a count (`done`, and `total` when it knows
   * it): on a TTY a bar, `checking 12000 keys | 4,000/s` or with a total
   * `restoring [██░░] 3000/10000 entries | 1,500/s | ETA 5s`; otherwise the line
   * `checking: 12,000 keys (4,000 keys/s)` (`restoring: 3,000/10,000 entries (1,500 entries/s,
   * ETA 5s)`) once the command has run for PROGRESS_INTERVAL_MS, then at most once every as
   * long: a command that ends sooner writes none. Both on stderr. A report of 0 (a pass that
   * begins) starts its rate anew and writes no line.
   */
  count(label: string, unit: string): (done: number, total?: number | null) => void {
    const tty = this.drawsBars;
    const progress = new CountProgress(Date.now());
    this.pace.start(Date.now());
    return (done, total = null) => {
      const now = Date.now();
      const s = progress.report(done, total, now);
      if (tty) {
        if (this.barOwner !== progress || !this.bar) {
          this.stopProgress();
          this.bar = new SingleBar(
            {
              format: countBarFormat(label, unit, s.total !== null),
              stream: process.stderr,
              etaBuffer: 50,
            },
            Presets.shades_classic,
          );
          this.barOwner = progress;
          this.bar.start(s.total ?? 0, s.done, { rate: n(s.rate) });
        }
        if (s.total !== null) this.bar.setTotal(s.total);
        this.bar.update(s.done, { rate: n(s.rate) });
      } else if (done > 0 && this.pace.due(now)) {
        this.err(countLine(label, unit, s));
      }
    };
  }

  /** Ends the bar, if one is drawn, on a line of its own: what is printed next starts clean. */
  stopProgress(): void {
    this.bar?.stop();
    this.bar = null;
    this.barOwner = null;
  }

  /** The document, with C1, DEL and bidi/zero-width characters as `\u` escapes (same value once parsed). */
  json(document: unknown): void {
    process.stdout.write(`${terminalSafeJson(JSON.stringify(document, null, 2))}\n`);
  }

  /** One line on stdout; the text is escaped for a terminal (a newline inside it is shown as `\x0a`). */
  line(text = ''): void {
    process.stdout.write(`${terminalText(text)}\n`);
  }

  /** One line on stderr, escaped like `line`. */
  err(text: string): void {
    process.stderr.write(`${terminalText(text)}\n`);
  }

  /**
   * Prints the error as one line on stderr and returns the exit code for it; with `json`, also
   * the failure document on stdout (`{"error": {"code", "message", "exitCode", ...}}`), so that
   * stdout still carries exactly one JSON document.
   */
  fail(error: unknown, { json = false }: { json?: boolean } = {}): number {
    this.stopProgress();
    const failure = describeFailure(error);
    this.err(`tenant-migrate: ${failure.line}`);
    if (json) printFailureDocument(failure);
    return failure.exitCode;
  }

  /** One row of a counts table: the label, the count right-aligned, then any detail. */
  row(label: string, value: number, detail = ''): void {
    this.line(`  ${label.padEnd(13)} ${n(value).padStart(11)}${detail ? `  ${detail}` : ''}`);
  }

  /** The rejected or skipped keys a migration or validation kept as samples, with their reasons. */
  samples(samples: ExceptionSample[]): void {
    if (samples.length === 0) return;
    this.line(`First ${samples.length} rejected or skipped keys:`);
    for (const s of samples)
      this.line(`  ${s.bucket.padEnd(8)} ${s.key}: ${s.reasons.map((r) => r.message).join('; ')}`);
  }
}
