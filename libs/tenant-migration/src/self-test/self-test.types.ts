/** Shapes of the runtime self-test (`MigrationTests.runAllTests()`, `--test`, `GET ?action=test`). */

/** The spec's three checks ("Test Results"), in the order they run. */
export const SELF_TEST_NAMES = [
  'Database connectivity',
  'Migration process validation',
  'Backward compatibility verification',
] as const;
export type SelfTestName = (typeof SELF_TEST_NAMES)[number];

/** The outcome of one check. */
export interface SelfTestResult {
  name: SelfTestName;
  /** False when the check failed, or could not run because an earlier one failed ("not run: ..."). */
  passed: boolean;
  durationMs: number;
  /** What was checked and found, one line each; for a failure, the reason comes first. */
  details: string[];
  /**
   * Findings in the data that are not failures of the machinery: live records a migration
   * would reject, tenants that drifted between the stores, an empty keyspace.
   */
  warnings?: string[];
}

/** The outcome of `runAllTests()`: passed when every check passed. */
export interface SelfTestReport {
  passed: boolean;
  tests: SelfTestResult[];
  durationMs: number;
}

export interface SelfTestRequest {
  /**
   * How many live Redis keys (the first ones SCAN returns) the dry run and the compatibility
   * check read. 1-10000, default 100.
   */
  sampleSize?: number;
  /** How long a store may take to answer the connectivity check, in ms. Default 5000. */
  timeoutMs?: number;
}
