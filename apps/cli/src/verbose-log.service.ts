import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { type CommandPath, describeSettings } from './command-environment.js';
import { StderrJsonLogger } from './stderr-json-logger.js';
import { terminalText } from './terminal-text.js';

/** Whether NODE_ENV asks for the verbose log: `development` only. */
export const verboseFromEnvironment = (nodeEnv: string | undefined): boolean =>
  nodeEnv === 'development';

/**
 * The detailed log of what a command does (`--verbose`, or NODE_ENV=development): one line
 * per event on stderr, `tenant-migrate: [verbose] <ISO time> <event>`, so stdout stays exactly
 * as without it (`--json` remains one document). Lines pass `terminalText`: they can name keys
 * or quote messages from the stores. Callers log key names and counts, never a value from
 * Redis, and URLs only through `redactUrl`. With LOG_FORMAT=json each line is a JSON object
 * instead (`{"level":"verbose",...,"message":"<event>","context":"tenant-migrate"}`), still on
 * stderr, its message passed through `terminalText` as well.
 */
@Injectable()
export class VerboseLog {
  /** What turned the log on, or null while it is off. */
  private reason: string | null;
  /** The JSON logger when LOG_FORMAT=json; null for the text lines. */
  private readonly json: StderrJsonLogger | null;

  constructor(private readonly config: ConfigService<EnvironmentVariables, true>) {
    this.json =
      config.get('LOG_FORMAT', { infer: true }) === 'json' ? new StderrJsonLogger() : null;
    this.reason = verboseFromEnvironment(config.get('NODE_ENV', { infer: true }))
      ? 'NODE_ENV=development'
      : null;
  }

  get enabled(): boolean {
    return this.reason !== null;
  }

  /** `--verbose` was given (on the command or the root before it). */
  enable(): void {
    this.reason ??= '--verbose';
  }

  /** Why the log is on, for its first line. */
  get enabledBy(): string | null {
    return this.reason;
  }

  log(event: string): void {
    if (this.reason === null) return;
    if (this.json) return this.json.verbose(terminalText(event));
    process.stderr.write(
      `${terminalText(`tenant-migrate: [verbose] ${new Date().toISOString()} ${event}`)}\n`,
    );
  }

  /**
   * A progress callback for scans that report their running key count once per batch (validate,
   * check): a line per batch. Undefined while the log is off, so nothing is counted.
   */
  scanProgress(path: CommandPath): ((scanned: number) => void) | undefined {
    if (this.reason === null) return undefined;
    let batch = 0;
    let last = 0;
    return (scanned) => {
      batch++;
      this.log(`${path}: batch ${batch}: ${scanned - last} keys, ${scanned} in all`);
      last = scanned;
    };
  }

  /** Logs the settings `path` runs with (the values of its variables that hold no secret). */
  logSettings(path: CommandPath): void {
    if (this.reason === null) return;
    this.log(
      `${path}: settings ${describeSettings(path, (variable) => this.config.get(variable, { infer: true }))}`,
    );
  }
}
