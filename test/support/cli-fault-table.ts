/**
 * The runner of the CLI's fault tables: each row starts the real CLI (a child process, with
 * `--json`) against one fault and judges its answer by the README's rules for every failure:
 * the documented exit code; on stderr exactly one line, `tenant-migrate: <reason>`, and no stack
 * trace; stdout one complete JSON document, on failure the failure document (its `code`, its
 * message the line, its `exitCode` the exit code); an end within
 * FAULT_BOUND_MS of the fault, however the store failed, and within EXIT_AFTER_LINE_MS of the
 * failure line (the answer is given: nothing is left to wait for). A command still running well
 * past the bound is killed and fails its row as a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, failureOf, startCli, type CliResult, type CliSpawnOptions } from './cli.js';

/** How long a command may take to end once its fault struck (or from its start, when the fault was there first). */
export const FAULT_BOUND_MS = 30_000;
/** How long a command may take to end once it has printed its failure line. */
export const EXIT_AFTER_LINE_MS = 5_000;
/** When a command still running is killed: far enough past the bound to tell a slow end from a hang. */
const KILL_AFTER_MS = FAULT_BOUND_MS + 5_000;

/** The unprivileged user that meets unreadable files and unwritable folders for real (root reads everything). */
export const NOBODY: CliSpawnOptions = { uid: 65534, gid: 65534 };

const STACK_TRACE = /\n\s+at |node:internal/;
/**
 * Progress lines the long commands write on stderr as documented (at most one every 5 s off a
 * terminal): a migration's, and the count lines of validate, check, backup, verify, restore and
 * cleanup (`restoring: 2,000/10,000 entries (131 entries/s, ETA 61s)`).
 */
const PROGRESS_LINE =
  /^(?:(?:migrating|dry run): scanned |(?:validating|checking|backing up|verifying backup|restoring|restore dry run|cleaning up|cleanup preview): [\d,]+(?:\/[\d,]+)? (?:keys|entries) \()/;

export interface CliRun {
  args: string[];
  env: Record<string, string>;
  spawn?: CliSpawnOptions;
  /** A fault that strikes while the command runs: resolves once it struck. Without one, the fault is there from the start. */
  fault?: Promise<void>;
  /** More assertions once the command ended: what it left behind. */
  check?: (result: CliResult) => Promise<void>;
  /** Undoes what the row set up (servers, proxies, files), whatever the outcome. */
  cleanup?: () => Promise<void>;
}

export interface CliFaultRow {
  /** The command as an operator types it, e.g. `restore <backup>`. */
  command: string;
  /** The fault, e.g. `an empty file`. */
  fault: string;
  /** The exit code the README documents for this fault. */
  code: 0 | 1 | 2 | 3;
  /**
   * The reason: for exit 2 and 3, matched against the one failure line (after its
   * `tenant-migrate: `); for exit 0 and 1, against the --json document on stdout.
   */
  reason: RegExp;
  /** Sets up the fault (after the file's `before`); a string is why the row cannot run here (skipped, saying so). */
  prepare: () => Promise<CliRun | string>;
}

export interface CliFaultOutcome {
  result: CliResult;
  /** How long after the fault (or the start) the command ended. */
  endedAfterMs: number;
  /** How long after its first `tenant-migrate: ` line the command ended (null: it printed none). */
  endedAfterLineMs: number | null;
  /** Whether the fault struck before the command ended. */
  struck: boolean;
  /** Whether the command was still running at the bound (and was killed). */
  hung: boolean;
}

/** Runs one row's command, applying its fault, and kills it if it outlives the bound. */
export const runFaultCommand = async (run: CliRun): Promise<CliFaultOutcome> => {
  const child = startCli([...run.args, '--json'], run.env, run.spawn);
  const done = collect(child);
  let lineAt: number | null = null;
  child.stderr?.on('data', (chunk: Buffer) => {
    if (lineAt === null && /(^|\n)tenant-migrate: /.test(chunk.toString())) lineAt = Date.now();
  });
  let struckAt = Date.now();
  let struck = run.fault === undefined;
  let hung = false;
  let watchdog: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
  };
  arm();
  // A fault that could not strike (its trigger failed) leaves `struck` false: the row says so.
  run.fault?.then(
    () => {
      struck = true;
      struckAt = Date.now();
      arm();
    },
    () => undefined,
  );
  const result = await done;
  clearTimeout(watchdog);
  const endedAt = Date.now();
  return {
    result,
    endedAfterMs: endedAt - struckAt,
    endedAfterLineMs: lineAt === null ? null : endedAt - lineAt,
    struck,
    hung,
  };
};

/** The table's judgement of one answer. */
export const assertFaultAnswer = (
  row: CliFaultRow,
  { result, endedAfterMs, endedAfterLineMs, struck, hung }: CliFaultOutcome,
): void => {
  const label = `${row.command}, ${row.fault}`;
  const shown = `exit ${result.code ?? result.signal}\n--- stderr\n${result.stderr}--- stdout\n${result.stdout.slice(0, 2000)}`;
  assert.ok(
    struck,
    `${label}: the command ended before its fault struck; give it more work (${shown})`,
  );
  assert.ok(
    !hung,
    `${label}: still running ${KILL_AFTER_MS / 1000} s after the fault: it hangs (killed)\n${shown}`,
  );
  assert.doesNotMatch(result.stderr, STACK_TRACE, `${label}: a stack trace on stderr\n${shown}`);
  assert.doesNotMatch(result.stdout, STACK_TRACE, `${label}: a stack trace on stdout\n${shown}`);
  assert.equal(result.code, row.code, `${label}: exit code\n${shown}`);
  const lines = result.stderr.split('\n').filter((line) => line.length > 0);
  const own = lines.filter((line) => !PROGRESS_LINE.test(line));
  if (row.code >= 2) {
    assert.equal(own.length, 1, `${label}: exactly one line on stderr besides progress\n${shown}`);
    assert.equal(lines.at(-1), own[0], `${label}: the failure line comes last\n${shown}`);
    assert.match(own[0], /^tenant-migrate: /, `${label}: the line's prefix\n${shown}`);
    assert.match(
      own[0].slice('tenant-migrate: '.length),
      row.reason,
      `${label}: the reason\n${shown}`,
    );
    // stdout carries the failure document: a code, the line's reason, the exit code.
    failureOf(result);
  } else {
    assert.deepEqual(own, [], `${label}: nothing on stderr but progress\n${shown}`);
    let parsed = true;
    try {
      JSON.parse(result.stdout);
    } catch {
      parsed = false;
    }
    assert.ok(
      parsed && result.stdout.endsWith('\n'),
      `${label}: stdout is one complete JSON document\n${shown}`,
    );
    assert.match(result.stdout, row.reason, `${label}: the document\n${shown}`);
  }
  if (endedAfterLineMs !== null) {
    assert.ok(
      endedAfterLineMs < EXIT_AFTER_LINE_MS,
      `${label}: ended ${endedAfterLineMs} ms after its failure line (bound ${EXIT_AFTER_LINE_MS} ms)`,
    );
  }
  assert.ok(
    endedAfterMs < FAULT_BOUND_MS,
    `${label}: ended ${endedAfterMs} ms after the fault (bound ${FAULT_BOUND_MS} ms)`,
  );
};

/** One `it` of the table: `<command>: <fault> -> exit <code>`. */
export const faultRowTest = (row: CliFaultRow): void => {
  test(`${row.command}: ${row.fault} -> exit ${row.code}`, async (t) => {
    const run = await row.prepare();
    if (typeof run === 'string') return t.skip(run);
    try {
      const outcome = await runFaultCommand(run);
      assertFaultAnswer(row, outcome);
      await run.check?.(outcome.result);
    } finally {
      await run.cleanup?.();
    }
  });
};
