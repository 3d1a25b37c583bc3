import { Injectable } from '@nestjs/common';
import { SingleBar, Presets } from 'cli-progress';
import type { ExceptionSample, MigrationProgress } from '#tenant-migration';
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
  private lastLine = 0;

  constructor(readonly verbose: VerboseLog) {}

  /**
   * A progress callback: a bar on a TTY, a log line every 5 s otherwise. Both on stderr. With
   * the verbose log there is no bar: its redraws would garble the log's lines.
   */
  progress(label: string): (p: MigrationProgress) => void {
    const tty = process.stderr.isTTY === true && !this.verbose.enabled;
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
      } else if (Date.now() - this.lastLine >= 5000) {
        this.lastLine = Date.now();
        const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds}s`;
        this.err(
          `${label}: scanned ${n(p.counts.scanned)}, migrated ${n(p.counts.migrated)}, unchanged ${n(p.counts.unchanged)}, ` +
            `conflicts ${n(p.counts.conflicts)}, rejected ${n(p.counts.rejected)} (${n(p.rate)} keys/s${eta})`,
        );
      }
    };
  }

  stopProgress(): void {
    this.bar?.stop();
    this.bar = null;
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
