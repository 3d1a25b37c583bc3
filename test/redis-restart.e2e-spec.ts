import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';
import { MigrationService } from '#tenant-migration';
import { createContextOverRedis, createTestDatabase } from './support/test-stores.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { legacy } from './support/tenant-fixtures.js';

const PREFIX = 'subdomain:';
const KEYS = 5_000;

/**
 * A Redis that restarts (from its snapshot) while a migration reads it: the client reconnects
 * to a new server process, whose SCAN cursors mean nothing to the old one. The run must notice
 * and scan again, passing over what it already accounted for: every key once, none left out.
 */
describe('a Redis restart in the middle of a run (the client reconnects to another server)', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let app: INestApplicationContext;
  let db: pg.Client;

  before(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const seed = client.pipeline();
    for (let i = 0; i < KEYS; i++) seed.set(`${PREFIX}shop-${i}`, legacy('🍕', 1700000000000 + i));
    await seed.exec();
    await redis.snapshot();
    const databaseUrl = await createTestDatabase('redis_restart');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    app = await createContextOverRedis(databaseUrl, client, { keyPrefix: PREFIX });
  });

  after(async () => {
    await app?.close();
    client?.disconnect();
    await db?.end();
    await stopAllPrivateRedis();
  });

  it('scans again from the start and counts every key exactly once', async () => {
    const restarted: { done?: Promise<void> } = {};
    const result = await app.get(MigrationService).migrate({
      batchSize: 200,
      onProgress: ({ batches }) => {
        if (batches === 8 && !restarted.done) restarted.done = redis.restart();
      },
    });
    assert.ok(restarted.done, 'Redis was restarted during the run');
    await restarted.done;
    assert.ok(result.balanced, JSON.stringify(result.counts));
    assert.equal(result.counts.scanned, KEYS, 'every key counted exactly once');
    assert.equal(result.counts.created, KEYS);
    assert.ok(
      result.counts.repeated > 0,
      'the second scan passed over keys the first one had accounted for',
    );
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants');
    assert.equal(rows[0].n, KEYS, 'every tenant is in PostgreSQL');
  });
});
