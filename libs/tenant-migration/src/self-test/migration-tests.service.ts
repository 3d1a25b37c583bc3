import { Injectable } from '@nestjs/common';
import { InvalidOptionError } from '../errors/index.js';
import { CompatibilityTest } from './compatibility-test.js';
import { ConnectivityTest } from './connectivity-test.js';
import { ProcessTest } from './process-test.js';
import { notRun, runTest } from './self-test-log.js';
import {
  SELF_TEST_NAMES,
  type SelfTestReport,
  type SelfTestRequest,
  type SelfTestResult,
} from './self-test.types.js';

const DEFAULT_SAMPLE_SIZE = 100;
const MAX_SAMPLE_SIZE = 10_000;
const DEFAULT_TIMEOUT_MS = 5000;

const [CONNECTIVITY, PROCESS, COMPATIBILITY] = SELF_TEST_NAMES;

/**
 * The spec's runtime self-test (`MigrationTests.runAllTests()`), strictly read-only: it never
 * writes to Redis or PostgreSQL. It runs, against the configured stores, in order:
 *
 * 1. **Database connectivity** (`ConnectivityTest`): PostgreSQL answers, its schema is the
 *    latest and has the configured tenants table; Redis answers PING; the tenant keys are
 *    readable (SCAN).
 * 2. **Migration process validation** (`ProcessTest`): built-in records get the verdicts they
 *    must get, and a dry run over a sample of the live keyspace says what a migration would do.
 * 3. **Backward compatibility verification** (`CompatibilityTest`): the sampled live values
 *    survive the mapping for legacy readers, and the sampled tenants already in PostgreSQL read
 *    back as their Redis value maps.
 *
 * Invalid live records and drift are data, reported as warnings; only the machinery failing
 * fails a test. A store that is down fails the first test with the reason, and the others
 * are reported as not run: `runAllTests()` does not throw for an outage.
 *
 * Redis: PING, INFO, SCAN, the reader's read-only EVAL (TYPE/STRLEN), MGET and EXISTS.
 * PostgreSQL: SELECTs in `REPEATABLE READ READ ONLY` transactions.
 */
@Injectable()
export class MigrationTests {
  constructor(
    private readonly connectivityTest: ConnectivityTest,
    private readonly processTest: ProcessTest,
    private readonly compatibilityTest: CompatibilityTest,
  ) {}

  /** Runs the three tests in order; the report's `passed` is true when all passed. */
  async runAllTests(request: SelfTestRequest = {}): Promise<SelfTestReport> {
    const sampleSize = request.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > MAX_SAMPLE_SIZE) {
      throw new InvalidOptionError(
        `the self-test sample size must be an integer from 1 to ${MAX_SAMPLE_SIZE}, got ${sampleSize}`,
        { sampleSize },
      );
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new InvalidOptionError(
        `the self-test timeout must be a positive integer (ms), got ${timeoutMs}`,
        { timeoutMs },
      );
    }
    const started = Date.now();
    const tests: SelfTestResult[] = [];
    const connectivity = (
      await runTest(CONNECTIVITY, (log) => this.connectivityTest.run(log, timeoutMs))
    ).result;
    tests.push(connectivity);
    if (!connectivity.passed) {
      const reason = `not run: ${CONNECTIVITY} failed (${connectivity.details[0] ?? 'no reason given'})`;
      tests.push(notRun(PROCESS, reason), notRun(COMPATIBILITY, reason));
    } else {
      const processRun = await runTest(PROCESS, (log) => this.processTest.run(log, sampleSize));
      tests.push(processRun.result);
      const sample = processRun.value;
      tests.push(
        sample
          ? (await runTest(COMPATIBILITY, (log) => this.compatibilityTest.run(log, sample))).result
          : notRun(COMPATIBILITY, `not run: the live sample could not be read (see ${PROCESS})`),
      );
    }
    return { passed: tests.every((t) => t.passed), tests, durationMs: Date.now() - started };
  }
}
