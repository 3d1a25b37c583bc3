#!/usr/bin/env node
/**
 * The `tenant-migrate` command (package.json "bin"): `npx tenant-migrate <command> [flags]` in
 * the project folder. Runs the compiled CLI exactly as `npm run cli` does, with the same Node.js
 * flag, in a plain Node.js process of its own, and passes its output and exit code through
 * unchanged. The original invocation, `npx tsx scripts/migrate-tenants.ts [flags]`, runs this
 * file too. The CLI is built first when the build is missing (exit 3 if that fails).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}dist/cli/tenant-migrate.mjs`;
if (!existsSync(entry)) {
  // `npm run build`'s two steps: compile, then bundle the CLI into one file.
  const steps = [
    [`${root}node_modules/typescript/bin/tsc`, '-b'],
    [`${root}scripts/bundle-cli.mjs`],
  ];
  for (const step of steps) {
    const build = spawnSync(process.execPath, step, {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) {
      process.stderr.write('tenant-migrate: the build failed: run `npm run build` to see why\n');
      process.exit(3);
    }
  }
}
// The young generation kept small, as `npm run cli` runs it: see package.json "scripts".
const cli = spawn(process.execPath, ['--max-semi-space-size=8', entry, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
// As `npm run` does: a signal sent to this process (a `kill <pid>`, a supervisor stopping it)
// goes on to the CLI, which decides how to stop; this process waits for it to end.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of FORWARDED) process.on(signal, () => cli.kill(signal));
cli.on('error', (error) => {
  process.stderr.write(`tenant-migrate: could not start the CLI: ${error.message}\n`);
  process.exitCode = 3;
});
cli.on('exit', (code, signal) => {
  if (signal) {
    // Killed by a signal: end the same way, so the caller sees 128+n as usual.
    for (const forwarded of FORWARDED) process.removeAllListeners(forwarded);
    process.kill(process.pid, signal);
    return;
  }
  process.exitCode = code ?? 3;
});
