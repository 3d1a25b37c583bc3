import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { collect, runCli, startCli } from './support/cli.js';

const TENANTS = 12_000;
const BATCH = '100';

/** Every column that does not record when the row was written. */
const TABLE_QUERY = `
  SELECT id, subdomain, emoji, created_at, business_name, business_category, business_description, owner_name,
         email, phone, address, logo, brand_colors, feature_whatsapp, feature_home_visit, feature_analytics,
         feature_custom_templates, feature_multi_staff, subscription_plan, subscription_status,
         subscription_expires_at, profile_complete, source_format, source_id, source_key, source_hash
    FROM tenants ORDER BY subdomain`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash and resume (kill -9 of a real CLI process)', () => {
  const namespace = testNamespace('resume');
  const prefix = `${namespace}subdomain:`;
  let redis: Redis;
  let killedUrl: string;
  let cleanUrl: string;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${namespace}*`);
    const pipeline = redis.pipeline();
    for (let i = 0; i < TENANTS; i++) {
      const value =
        i % 97 === 0
          ? 'not json'
          : i % 7 === 0
            ? JSON.stringify({
                emoji: '💈',
                createdAt: 1700000000000 + i,
                businessName: `Shop ${i}`,
                email: `o${i}@example.com`,
                businessCategory: 'Healthcare',
              })
            : JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 + i });
      pipeline.set(`${prefix}shop-${i}`, value);
    }
    await pipeline.exec();
    [killedUrl, cleanUrl] = await Promise.all([
      createTestDatabase('resume_killed'),
      createTestDatabase('resume_clean'),
    ]);
  });

  after(async () => {
    await deleteByPattern(redis, `${namespace}*`);
    redis.disconnect();
  });

  it('resumes to exactly the table an uninterrupted run produces, counting every key once', async () => {
    const env = (url: string) => ({ DATABASE_URL: url, TENANT_KEY_PREFIX: prefix });

    const clean = await runCli(['migrate', '--batch-size', BATCH, '--json'], env(cleanUrl));
    assert.equal(clean.code, 1, `clean run finishes with rejects: ${clean.stderr}`);

    const db = new pg.Client({ connectionString: killedUrl });
    await db.connect();
    try {
      const child = startCli(['migrate', '--batch-size', BATCH], env(killedUrl));
      const exited = collect(child);
      let batches = 0;
      for (let i = 0; i < 2000 && batches < 10; i++) {
        await sleep(10);
        const { rows } = await db.query<{ batches: number | null }>(
          `SELECT (checkpoint->>'batches')::int AS batches FROM migration_runs ORDER BY started_at DESC LIMIT 1`,
        );
        batches = rows[0]?.batches ?? 0;
      }
      child.kill('SIGKILL');
      const killed = await exited;
      assert.equal(killed.signal, 'SIGKILL');

      const interrupted = await db.query<{ status: string; scanned: number; batches: number }>(
        `SELECT status, (counts->>'scanned')::int AS scanned, (checkpoint->>'batches')::int AS batches FROM migration_runs`,
      );
      assert.equal(interrupted.rows.length, 1);
      assert.equal(interrupted.rows[0].status, 'running', 'the dead process left its run open');
      assert.ok(
        interrupted.rows[0].scanned < TENANTS,
        `killed mid-run (scanned ${interrupted.rows[0].scanned})`,
      );
      const partial = Number(
        (await db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n,
      );
      assert.ok(partial > 0 && partial < TENANTS, 'some tenants were committed before the kill');

      const resumed = await runCli(['migrate', '--batch-size', BATCH, '--json'], env(killedUrl));
      assert.equal(resumed.code, 1, resumed.stderr);
      const result = JSON.parse(resumed.stdout) as {
        resumed: boolean;
        balanced: boolean;
        counts: Record<string, number>;
      };
      const cleanResult = JSON.parse(clean.stdout) as { counts: Record<string, number> };
      assert.equal(result.resumed, true);
      assert.equal(result.balanced, true);
      assert.equal(
        result.counts.scanned,
        TENANTS,
        'every key counted exactly once across the crash',
      );
      assert.equal(result.counts.migrated, cleanResult.counts.migrated);
      assert.equal(result.counts.rejected, cleanResult.counts.rejected);
      assert.equal(
        Number(
          (await db.query<{ n: string }>(`SELECT count(*) AS n FROM migration_exceptions`)).rows[0]
            .n,
        ),
        cleanResult.counts.rejected,
        'no quarantined key recorded twice',
      );

      const cleanDb = new pg.Client({ connectionString: cleanUrl });
      await cleanDb.connect();
      try {
        const [a, b] = await Promise.all([db.query(TABLE_QUERY), cleanDb.query(TABLE_QUERY)]);
        assert.equal(a.rows.length, cleanResult.counts.migrated);
        assert.deepEqual(a.rows, b.rows);
      } finally {
        await cleanDb.end();
      }
    } finally {
      await db.end();
    }
  });
});
