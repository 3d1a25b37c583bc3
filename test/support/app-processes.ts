/** The admin app and the standalone worker as child processes, as an operator runs them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ADMIN_ENTRY = fileURLToPath(new URL('../../apps/admin/src/main.js', import.meta.url));
export const WORKER_ENTRY = fileURLToPath(
  new URL('../../apps/worker/src/main.js', import.meta.url),
);

/** A started process and what it has logged so far. */
export interface AppProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in its output (rejects if it exits first). */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const start = (entry: string, env: Record<string, string>): AppProcess => {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const heard = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', heard);
  child.stderr?.on('data', heard);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; output:\n${output}`));
      }, timeoutMs);
      const check = () => {
        const match = pattern.exec(output);
        if (!match) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(match);
      };
      listeners.add(check);
      void exited.then(({ code, signal }) => {
        if (!listeners.has(check)) return;
        clearTimeout(timer);
        listeners.delete(check);
        reject(
          new Error(`exited (${code ?? signal}) before ${String(pattern)}; output:\n${output}`),
        );
      });
      check();
    });
  return { child, output: () => output, waitFor, exited };
};

/** Starts the admin app (PORT=0) and answers it with its URL once it listens. */
export const startAdminProcess = async (
  env: Record<string, string>,
): Promise<AppProcess & { url: string }> => {
  const app = start(ADMIN_ENTRY, env);
  const [, url] = await app.waitFor(/listening on (http:\/\/\S+)/);
  return { ...app, url };
};

/** Starts a standalone worker and waits until it takes operations. */
export const startWorkerProcess = async (env: Record<string, string>): Promise<AppProcess> => {
  const worker = start(WORKER_ENTRY, env);
  await worker.waitFor(/running operations as \S+/);
  return worker;
};

/** Stops the process by a signal (SIGKILL after `ms` if it is still up). */
export const stopProcess = async (
  app: AppProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  ms = 20_000,
) => {
  if (!app || app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill(signal);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), ms);
  try {
    return await app.exited;
  } finally {
    clearTimeout(timer);
  }
};
