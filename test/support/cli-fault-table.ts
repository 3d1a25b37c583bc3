/**
 * The runner of the CLI's fault tables: each row starts the real CLI (a child process, with
 * `--json`) against one fault and judges its answer by the README's rules for every failure:
 * the documented exit code; on stderr exactly one line, `tenant-migrate: <reason>`, and no stack
 * trace; stdout empty on failure, otherwise one complete JSON document; and an end within
 * FAULT_BOUND_MS of the fault, however the store failed (a command that hangs is killed and
 * fails its row).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, startCli, type CliResult, type CliSpawnOptions } from './cli.js';

/** How long a command may take to end once its fault struck (or from its start, when the fault was there first). */
export const FAULT_BOUND_MS = 30_000;

/** The unprivileged user that meets unreadable files and unwritable folders for real (root reads everything). */
export const NOBODY: CliSpawnOptions = { uid: 65534, gid: 65534 };

const STACK_TRACE = /\n\s+at |node:internal/;
/** Progress lines a migration writes on stderr as documented (at most one every 5 s off a terminal). */
const PROGRESS_LINE = /^(migrating|dry run): scanned /;

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
  /** Whether the fault struck before the command ended. */
  struck: boolean;
  /** Whether the command was still running at the bound (and was killed). */
  hung: boolean;
}

/** Runs one row's command, applying its fault, and kills it if it outlives the bound. */
export const runFaultCommand = async (run: CliRun): Promise<CliFaultOutcome> => {
  const child = startCli([...run.args, '--json'], run.env, run.spawn);
  const done = collect(child);
  let struckAt = Date.now();
  let struck = run.fault === undefined;
  let hung = false;
  let watchdog: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, FAULT_BOUND_MS);
  };
  arm();
  void run.fault?.then(() => {
    struck = true;
    struckAt = Date.now();
    arm();
  });
  const result = await done;
  clearTimeout(watchdog);
  return { result, endedAfterMs: Date.now() - struckAt, struck, hung };
};

/** The table's judgement of one answer. */
export const assertFaultAnswer = (row: CliFaultRow, { result, endedAfterMs, struck, hung }: CliFaultOutcome): void => {
  const label = `${row.command}, ${row.fault}`;
  const shown = `exit ${result.code ?? result.signal}\n--- stderr\n${result.stderr}--- stdout\n${result.stdout.slice(0, 2000)}`;
  assert.ok(struck, `${label}: the command ended before its fault struck; give it more work (${shown})`);
  assert.ok(!hung, `${label}: still running ${FAULT_BOUND_MS / 1000} s after the fault: it hangs (killed)\n${shown}`);
  assert.doesNotMatch(result.stderr, STACK_TRACE, `${label}: a stack trace on stderr\n${shown}`);
  assert.doesNotMatch(result.stdout, STACK_TRACE, `${label}: a stack trace on stdout\n${shown}`);
  assert.equal(result.code, row.code, `${label}: exit code\n${shown}`);
  const lines = result.stderr.split('\n').filter((line) => line.length > 0);
  const own = lines.filter((line) => !PROGRESS_LINE.test(line));
  if (row.code >= 2) {
    assert.equal(own.length, 1, `${label}: exactly one line on stderr besides progress\n${shown}`);
    assert.equal(lines.at(-1), own[0], `${label}: the failure line comes last\n${shown}`);
    assert.match(own[0], /^tenant-migrate: /, `${label}: the line's prefix\n${shown}`);
    assert.match(own[0].slice('tenant-migrate: '.length), row.reason, `${label}: the reason\n${shown}`);
    assert.equal(result.stdout, '', `${label}: stdout stays empty on failure\n${shown}`);
  } else {
    assert.deepEqual(own, [], `${label}: nothing on stderr but progress\n${shown}`);
    let parsed = true;
    try {
      JSON.parse(result.stdout);
    } catch {
      parsed = false;
    }
    assert.ok(parsed && result.stdout.endsWith('\n'), `${label}: stdout is one complete JSON document\n${shown}`);
    assert.match(result.stdout, row.reason, `${label}: the document\n${shown}`);
  }
  assert.ok(endedAfterMs < FAULT_BOUND_MS, `${label}: ended ${endedAfterMs} ms after the fault`);
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
