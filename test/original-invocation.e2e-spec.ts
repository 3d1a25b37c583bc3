import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collect, cliEnv } from './support/cli.js';
import { createTestStores, type TestStores } from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The original system's own invocation, as its documentation gives it. */
const originalCli = (args: string[], env: Record<string, string>) =>
  collect(
    spawn('npx', ['--no-install', 'tsx', 'scripts/migrate-tenants.ts', ...args], {
      cwd: ROOT,
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );

describe('npx tsx scripts/migrate-tenants.ts (the original invocation) runs this CLI', () => {
  let stores: TestStores;
  before(async () => {
    stores = await createTestStores('original_invocation');
    await stores.redis.set(`${stores.prefix}pizza`, legacy('🍕'));
  });
  after(async () => stores.close());

  it('takes the original flags and answers with the CLI output and exit code', async () => {
    const env = { DATABASE_URL: stores.databaseUrl, TENANT_KEY_PREFIX: stores.prefix };
    const dry = await originalCli(['--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const result = JSON.parse(dry.stdout) as { dryRun: boolean; counts: { created: number } };
    assert.equal(result.dryRun, true);
    assert.equal(result.counts.created, 1);
    const usage = await originalCli(['--no-such-flag'], env);
    assert.equal(usage.code, 2, 'a usage error keeps its exit code');
  });
});
