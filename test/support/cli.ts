/** Runs the compiled CLI as a child process, as an operator would. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_REDIS_URL } from './test-stores.js';

export const CLI_ENTRY = fileURLToPath(new URL('../../apps/cli/src/main.js', import.meta.url));

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
