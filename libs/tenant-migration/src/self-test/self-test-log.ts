/** What one self-test records while it runs, and how it turns into a result. */
import type { SelfTestName, SelfTestResult } from './self-test.types.js';

/** Collects what one test found: failures (the reason it failed), details and warnings. */
export class TestLog {
  readonly failures: string[] = [];
  readonly details: string[] = [];
  readonly warnings: string[] = [];

  fail(line: string): void {
    this.failures.push(line);
  }

  detail(line: string): void {
    this.details.push(line);
  }

  warn(line: string): void {
    this.warnings.push(line);
  }

  /** Appends another log's lines to this one, kind by kind. */
  append(other: TestLog): void {
    other.failures.forEach((line) => this.fail(line));
    other.details.forEach((line) => this.detail(line));
    other.warnings.forEach((line) => this.warn(line));
  }

  result(name: SelfTestName, durationMs: number): SelfTestResult {
    const result: SelfTestResult = {
      name,
      passed: this.failures.length === 0,
      durationMs,
      details: [...this.failures, ...this.details],
    };
    if (this.warnings.length > 0) result.warnings = [...this.warnings];
    return result;
  }
}

/** One line for an error: its message, its cause's, and the parts of an AggregateError (pg tries every address). */
export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  let message = error.message;
  if (!message && error instanceof AggregateError)
    message = error.errors.map(describeError).join('; ');
  if (!message) message = (error as Error & { code?: string }).code ?? error.name;
  const cause = error.cause === undefined ? '' : describeError(error.cause);
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
};

/** The failure line of a test that threw. */
export const couldNotComplete = (error: unknown): string =>
  `could not complete: ${describeError(error)}`;

/**
 * Runs one test with a log of its own and times it. A test that throws fails with the reason;
 * `value` is what it returned (null when it threw).
 */
export const runTest = async <T>(
  name: SelfTestName,
  body: (log: TestLog) => Promise<T>,
): Promise<{ result: SelfTestResult; value: T | null }> => {
  const started = Date.now();
  const log = new TestLog();
  let value: T | null = null;
  try {
    value = await body(log);
  } catch (error) {
    log.fail(couldNotComplete(error));
  }
  return { result: log.result(name, Date.now() - started), value };
};

/** The result of a test that could not run. */
export const notRun = (name: SelfTestName, reason: string): SelfTestResult => ({
  name,
  passed: false,
  durationMs: 0,
  details: [reason],
});
