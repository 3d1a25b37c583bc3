import type { SelfTestReport } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { formatSeconds as seconds } from '../output-format.js';

/** The human view: one ✓/✗ line per test, then its details and warnings, indented. */
export const printSelfTest = (out: CliOutput, report: SelfTestReport): void => {
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
