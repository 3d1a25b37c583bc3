/** Runs the compiled CLI as a child process, as an operator would. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { terminalText } from '../../apps/cli/src/terminal-text.js';
import { TEST_REDIS_URL } from './test-stores.js';

/** The CLI as `npm run cli` and `tenant-migrate` run it: the bundle `npm run build` makes. */
export const CLI_ENTRY = fileURLToPath(new URL('../../cli/tenant-migrate.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const cliEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  REDIS_URL: TEST_REDIS_URL,
  ...env,
});

/**
 * How the process is started beyond its arguments and environment: another user (`uid`, `gid`;
 * as root, the only way to meet a file it cannot read or a folder it cannot write), a `cwd`.
 */
export type CliSpawnOptions = Pick<SpawnOptions, 'uid' | 'gid' | 'cwd'>;

export const startCli = (
  args: string[],
  env: Record<string, string>,
  options: CliSpawnOptions = {},
): ChildProcess =>
  spawn(process.execPath, [CLI_ENTRY, ...args], {
    ...options,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });

export const collect = (child: ChildProcess): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

export const runCli = (
  args: string[],
  env: Record<string, string>,
  options?: CliSpawnOptions,
): Promise<CliResult> => collect(startCli(args, env, options));

/** The document a command given `--json` prints on stdout when it fails. */
export interface CliFailure {
  code: string;
  message: string;
  exitCode: number;
  [member: string]: unknown;
}

/**
 * The failure document of a failed `--json` command: one JSON document on stdout whose exit
 * code is the process's and whose message is its `tenant-migrate: ` line on stderr.
 */
export const failureOf = (result: CliResult): CliFailure => {
  const shown = `exit ${result.code ?? result.signal}\n--- stderr\n${result.stderr}--- stdout\n${result.stdout}`;
  let document: { error?: CliFailure };
  try {
    document = JSON.parse(result.stdout) as { error?: CliFailure };
  } catch {
    assert.fail(`stdout is not one JSON document\n${shown}`);
  }
  const failure = document.error;
  assert.ok(failure, `no error member\n${shown}`);
  assert.deepEqual(Object.keys(document), ['error'], shown);
  assert.ok(result.stdout.endsWith('}\n'), shown);
  assert.match(failure.code, /^[a-z]+(-[a-z]+)*$/, shown);
  assert.equal(failure.exitCode, result.code, shown);
  assert.ok(
    result.stderr.split('\n').includes(`tenant-migrate: ${terminalText(failure.message)}`),
    `the message is the stderr line\n${shown}`,
  );
  return failure;
};
