#!/usr/bin/env node
// Runs the compiled test files with Node's test runner: unit specs (*.spec.js, beside the
// code) and integration/e2e specs (test/**/*.e2e-spec.js, against the real PostgreSQL and
// Redis). `--unit` runs the unit specs only. Each spec file owns its database and key prefix,
// so files run in parallel.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
const files = ['dist/libs', 'dist/apps', 'dist/test']
  .flatMap((dir) => { try { return walk(dir); } catch { return []; } })
  .filter((f) => f.endsWith('.spec.js') || (!unitOnly && f.endsWith('.e2e-spec.js')))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no compiled spec files found; did the build run?');
  process.exit(1);
}
const { status } = spawnSync(process.execPath, ['--test', '--test-concurrency=3', ...files], { stdio: 'inherit' });
process.exit(status ?? 1);
