import { Injectable } from '@nestjs/common';
import { CommandRunner, Help, Option } from 'nest-commander';
import { CliOutput } from '../cli-output.service.js';
import { environmentHelp, isCommandPath } from '../command-environment.js';
import { commandPath, describeFlags } from '../command-line.js';
import { describeExitCode } from '../exit-codes.js';
import { StopOnSignals } from '../stop-signals.js';

/**
 * What every command shares: the `--json` and `--verbose` flags, the "Environment:" section
 * of its help, and the rule that a failure becomes one stderr line and an exit code, never a
 * stack trace. `@Injectable()` keeps the DI metadata for subclasses that declare no
 * constructor; nest-commander finds inherited `@Option`s and `@Help`s.
 */
@Injectable()
export abstract class CliCommand extends CommandRunner {
  constructor(protected readonly out: CliOutput) {
    super();
  }

  /**
   * Runs a command's body and sets the exit code it returns. Any error (usage, store
   * unreachable, lock held) is reported by `out.fail`, which chooses the code. The verbose log
   * says when it started, with which flags and settings, and how it ended.
   */
  protected async attempt(body: () => Promise<number>): Promise<void> {
    const path = commandPath(this.command);
    const started = Date.now();
    this.logStart(path);
    let code: number;
    try {
      code = await body();
    } catch (error) {
      code = this.out.fail(error, { json: this.command.opts<{ json?: boolean }>().json === true });
    }
    process.exitCode = code;
    this.out.verbose.log(
      `${path}: finished in ${Date.now() - started} ms, exit code ${code} (${describeExitCode(code)})`,
    );
  }

  /**
   * From now on SIGINT and SIGTERM stop this command's work at its next batch boundary (see
   * StopOnSignals); for the commands whose engine call takes a stop signal.
   */
  protected stopOnSignals(path: string): StopOnSignals {
    return new StopOnSignals((signal) =>
      this.out.verbose.log(
        `${path}: ${signal}: stopping at the next batch boundary (another signal exits at once)`,
      ),
    );
  }

  private logStart(path: string): void {
    const { verbose } = this.out;
    if (!verbose.enabled) return;
    const flags = describeFlags(this.command);
    verbose.log(
      `${path}: started (verbose log on by ${verbose.enabledBy}); ${flags ? `flags ${flags}` : 'no flags'}`,
    );
    if (isCommandPath(path)) verbose.logSettings(path);
  }

  @Option({
    flags: '--json',
    description: 'print one JSON document on stdout and nothing else there',
  })
  parseJson(): boolean {
    return true;
  }

  /** Turns the log on as soon as the flag is parsed: given to the root, it covers the subcommand too. */
  @Option({
    flags: '--verbose',
    description:
      'log each step (stores, settings, batches, timings) on stderr; NODE_ENV=development does too',
  })
  parseVerbose(): boolean {
    this.out.verbose.enable();
    return true;
  }

  /** Commander calls this for `--help`; the section lists the variables this command reads. */
  @Help('after')
  environmentHelp(): string {
    const path = commandPath(this.command);
    return isCommandPath(path) ? environmentHelp(path) : '';
  }
}
