import { Command } from 'nest-commander';
import { MigrationTests, type SelfTestReport } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { assertNoArguments } from '../cli-arguments.js';
import { StorePreflight } from '../store-preflight.service.js';
import { CliCommand } from './cli-command.base.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** The human view: one ✓/✗ line per test, then its details and warnings, indented. */
const printSelfTest = (out: CliOutput, report: SelfTestReport): void => {
  out.line(
    `Self-test: ${report.passed ? 'passed' : 'FAILED'} (${seconds(report.durationMs)}; read-only, nothing was written)`,
  );
  for (const test of report.tests) {
    out.line(`  ${test.passed ? '✓' : '✗'} ${test.name} (${seconds(test.durationMs)})`);
    for (const detail of test.details) out.line(`      ${detail}`);
    for (const warning of test.warnings ?? []) out.line(`      warning: ${warning}`);
  }
  const failed = report.tests.filter((t) => !t.passed).length;
  const warnings = report.tests.reduce((sum, t) => sum + (t.warnings?.length ?? 0), 0);
  out.line(
    `${report.tests.length} tests: ${report.tests.length - failed} passed, ${failed} failed, ${warnings} warning(s).`,
  );
};

/**
 * Runs the self-test and prints it: `test` and the root command's `--test` both run this.
 * No store preflight: connectivity is the first test, so an unreachable store or a stale
 * schema is reported as that test's failure (exit 1) with the rest of the report, not as
 * "could not run" (3). Exit 0 when every test passed. Warnings (invalid live records, drift)
 * do not change the exit code. The verbose log names the stores without connecting to them.
 */
export const runSelfTest = async (
  tests: MigrationTests,
  out: CliOutput,
  preflight: StorePreflight,
  flags: { json?: boolean },
): Promise<number> => {
  preflight.announceStores();
  const report = await tests.runAllTests();
  for (const test of report.tests)
    out.verbose.log(
      `test: ${test.name} ${test.passed ? 'passed' : 'FAILED'} in ${test.durationMs} ms`,
    );
  if (flags.json) out.json(report);
  else printSelfTest(out, report);
  return report.passed ? ExitCode.Clean : ExitCode.Findings;
};

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
      return runSelfTest(this.tests, this.out, this.preflight, flags);
    });
  }
}
