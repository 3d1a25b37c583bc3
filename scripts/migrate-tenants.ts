/**
 * The original system's invocation, `npx tsx scripts/migrate-tenants.ts [flags]`: runs this
 * project's CLI with the same flags (`--dry-run`, `--check`, `--test`, `--report`, `--backup`,
 * `--cleanup`, `--sync --subdomain <name>`, ...), its output and its exit code. The CLI runs as
 * the compiled one in a plain Node.js process of its own: Nest's dependency injection needs the
 * decorator metadata `tsc` emits, and tsx's module loader would load Nest a second time. It is
 * built first when the build is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}dist/apps/cli/src/main.js`;
if (!existsSync(entry)) {
  const build = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    process.stderr.write('tenant-migrate: the build failed: run `npm run build` to see why\n');
    process.exit(3);
  }
}
const cli = spawnSync(
  process.execPath,
  ['--max-semi-space-size=8', entry, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exitCode = cli.status ?? 3;
