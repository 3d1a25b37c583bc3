import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { collect, runCli, startCli } from './support/cli.js';

const KEYS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a backup killed mid-way (kill -9 of a real CLI process)', () => {
  const namespace = testNamespace('backup_crash');
  const prefix = `${namespace}subdomain:`;
  let redis: Redis;
  let databaseUrl: string;
  let dir: string;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${namespace}*`);
    const pipeline = redis.pipeline();
    for (let i = 0; i < KEYS; i++)
      pipeline.set(
        `${prefix}shop-${i}`,
        JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 + i }),
      );
    await pipeline.exec();
    databaseUrl = await createTestDatabase('backup_crash');
    dir = await mkdtemp(join(tmpdir(), 'tm-backup-crash-'));
  });
  after(async () => {
    await deleteByPattern(redis, `${namespace}*`);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves only a .partial file, which never verifies, and records no backup', async () => {
    const env = { DATABASE_URL: databaseUrl, TENANT_KEY_PREFIX: prefix, BACKUP_DIR: dir };
    const child = startCli(['backup'], env);
    const exited = collect(child);
    let partial: string | undefined;
    for (let i = 0; i < 1000 && !partial; i++) {
      await sleep(10);
      const name = (await readdir(dir)).find((f) => f.endsWith('.partial'));
      if (name && (await stat(join(dir, name))).size > 0) partial = name;
    }
    assert.ok(partial, 'the backup was under way');
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');

    const files = await readdir(dir);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.gz')),
      [],
      'no file under a final name',
    );
    const verify = await runCli(['backup', 'verify', join(dir, partial), '--json'], env);
    assert.equal(verify.code, 1, verify.stderr);
    const report = JSON.parse(verify.stdout) as { ok: boolean; problems: string[] };
    assert.equal(report.ok, false);
    assert.ok(
      report.problems.some((p) => /truncated|no trailer/.test(p)),
      report.problems.join('; '),
    );
    const list = await runCli(['backup', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(list.stdout), [], 'no backup was recorded');
  });
});
