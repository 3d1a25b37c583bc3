import { Command } from 'nest-commander';
import { MigrationTests } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { assertNoArguments } from '../cli-arguments.js';
import { StorePreflight } from '../store-preflight.service.js';
import { CliCommand } from './cli-command.base.js';
import { printSelfTest } from './test.printer.js';

/** `test [--json]`: the spec's self-test; never writes to either store. */
@Command({
  name: 'test',
  description:
    'self-test against the configured stores, read-only: connectivity and schema, validation and a dry run over a sample, ' +
    'backward compatibility; exit 1 if a test failed',
})
export class TestCommand extends CliCommand {
  constructor(
    private readonly tests: MigrationTests,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: { json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'test');
      return this.perform(flags);
    });
  }

  /**
   * Runs the self-test and prints it: `test` and the root command's `--test` both run this.
   * No store preflight: connectivity is the first test, so an unreachable store or a stale
   * schema is reported as that test's failure (exit 1) with the rest of the report, not as
   * "could not run" (3). Exit 0 when every test passed. Warnings (invalid live records, drift)
   * do not change the exit code. The verbose log names the stores without connecting to them.
   */
  async perform(flags: { json?: boolean }): Promise<number> {
    this.preflight.announceStores();
    const report = await this.tests.runAllTests();
    for (const test of report.tests)
      this.out.verbose.log(
        `test: ${test.name} ${test.passed ? 'passed' : 'FAILED'} in ${test.durationMs} ms`,
      );
    if (flags.json) this.out.json(report);
    else printSelfTest(this.out, report);
    return report.passed ? ExitCode.Clean : ExitCode.Findings;
  }
}
