/**
 * A run's quarantine over the admin API and the CLI: the page's total and its reason and
 * subdomain filters, the NDJSON export (the route streams it, `exceptions export` writes the
 * same lines to a file or stdout), an existing file refused, an unknown run a 404 / exit 2.
 * The real AppModule in this process and the compiled CLI as a child, against this file's own
 * database and key prefix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { legacy } from './support/tenant-fixtures.js';
import { bodyOf, messageOf, type RunStartedBody } from './support/body.js';
import { settledRun } from './support/run-polling.js';
import { assertProblem } from './support/problem.js';
import { runCli } from './support/cli.js';

const NAMESPACE = testNamespace('quarantine');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-quarantine-test-token-0123456789';
const BASE = '/api/admin/migration';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const UNKNOWN_RUN = '00000000-0000-4000-8000-000000000000';

/** A quarantined key as the page and the export show it. */
interface QuarantinedKeyBody {
  id: string;
  runId: string;
  key: string;
  bucket: string;
  reasons: { code: string; message: string; field?: string }[];
  valueSha256: string | null;
  valueSize: number | null;
  createdAt: string;
  valuePrefixBase64: string | null;
}

interface PageBody {
  limit: number;
  offset: number;
  total: number;
  exceptions: QuarantinedKeyBody[];
}

describe('the quarantine of a run: page, filters and NDJSON export', () => {
  let app: INestApplication<Server>;
  let redis: Redis;
  let databaseUrl: string;
  let dir: string;
  let runId: string;
  /** Every quarantined key of the run, from an unfiltered page. */
  let all: QuarantinedKeyBody[];

  const http = () => request(app.getHttpServer());
  const page = async (query = ''): Promise<PageBody> => {
    const res = await http().get(`${BASE}/runs/${runId}/exceptions?${query}`).set(AUTH);
    assert.equal(res.status, 200, `${query}: ${res.text}`);
    return bodyOf<PageBody>(res);
  };
  const exported = async (query = ''): Promise<string> => {
    const res = await http()
      .get(`${BASE}/runs/${runId}/exceptions/export?${query}`)
      .set(AUTH)
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });
    assert.equal(res.status, 200, `${query}: ${String(res.body)}`);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    return res.body as string;
  };
  const linesOf = (ndjson: string): QuarantinedKeyBody[] => {
    assert.ok(ndjson === '' || ndjson.endsWith('\n'), 'every line ends with a newline');
    return ndjson
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as QuarantinedKeyBody);
  };
  const cliEnv = () => ({ DATABASE_URL: databaseUrl, TENANT_KEY_PREFIX: PREFIX });
  const withReason = (code: string) =>
    all.filter((row) => row.reasons.some((reason) => reason.code === code));

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await redis.set(`${PREFIX}good`, legacy('🍕'));
    await redis.set(`${PREFIX}broken`, '{"emoji":');
    await redis.set(`${PREFIX}Broken2`, '{not json');
    await redis.set(`${PREFIX}admin`, legacy('🎩'));
    await redis.set(`${PREFIX}bakery`, legacy('pizza'));
    await redis.hset(`${PREFIX}florist`, 'emoji', '🌷');
    await redis.set(`${PREFIX}binary`, Buffer.from([0xff, 0xfe, 0x00, 0x1b]));
    await redis.set(Buffer.concat([Buffer.from(PREFIX), Buffer.from([0xff, 0x41])]), legacy('🎉'));
    databaseUrl = await createTestDatabase('quarantine');
    dir = await mkdtemp(join(tmpdir(), 'tm-quarantine-'));
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: dir,
    });
    const started = await http().post(BASE).set(AUTH).send({ action: 'migrate' });
    assert.equal(started.status, 202, started.text);
    runId = bodyOf<RunStartedBody>(started).runId;
    const run = await settledRun(() => http().get(`${BASE}/runs/${runId}`).set(AUTH), 'the run');
    assert.equal(run.status, 'completed', JSON.stringify(run));
    all = (await page('limit=1000')).exceptions;
  });

  after(async () => {
    await closeAdminApp(app);
    if (redis) {
      await deleteByPattern(redis, `${NAMESPACE}*`);
      redis.disconnect();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a page carries the total of the keys that match, whatever its limit and offset', async () => {
    assert.equal(all.length, 7, JSON.stringify(all.map((row) => row.key)));
    const first = await page();
    assert.equal(first.total, 7);
    assert.equal(first.limit, 100);
    assert.equal(first.offset, 0);
    const middle = await page('limit=2&offset=3');
    assert.deepEqual(
      { total: middle.total, keys: middle.exceptions.map((row) => row.key) },
      { total: 7, keys: all.slice(3, 5).map((row) => row.key) },
    );
    const beyond = await page('offset=50');
    assert.deepEqual(
      { total: beyond.total, rows: beyond.exceptions.length },
      { total: 7, rows: 0 },
    );
    assert.equal((await page('bucket=skipped')).total, 0);
    assert.equal((await page('bucket=rejected')).total, 7);
  });

  it('reason finds the keys one of whose reasons has the code', async () => {
    const invalidJson = withReason('invalid-json');
    assert.ok(invalidJson.length >= 2, JSON.stringify(all.map((row) => row.reasons)));
    for (const code of ['invalid-json', 'wrong-type', 'invalid-key-name', 'subdomain-reserved']) {
      const found = await page(`reason=${code}`);
      assert.equal(found.total, withReason(code).length, code);
      assert.ok(found.total > 0, code);
      assert.deepEqual(found.exceptions, withReason(code), code);
    }
    assert.deepEqual(await page('reason=no-such-code'), {
      limit: 100,
      offset: 0,
      total: 0,
      exceptions: [],
    });
    const narrowed = await page('reason=invalid-json&limit=1&offset=1');
    assert.deepEqual(narrowed.exceptions, invalidJson.slice(1, 2));
    assert.equal(narrowed.total, invalidJson.length);
  });

  it('subdomain finds the keys <prefix><name> of one tenant, in any case', async () => {
    const keyOf = (name: string) => `${PREFIX}${name}`;
    for (const [subdomain, key] of [
      ['broken', keyOf('broken')],
      ['BROKEN2', keyOf('Broken2')],
      ['broken2', keyOf('Broken2')],
      ['Florist', keyOf('florist')],
    ]) {
      const found = await page(`subdomain=${subdomain}`);
      assert.deepEqual(
        found.exceptions.map((row) => row.key),
        [key],
        subdomain,
      );
      assert.equal(found.total, 1, subdomain);
    }
    assert.equal((await page('subdomain=good')).total, 0, 'a migrated key is not quarantined');
    assert.equal((await page('subdomain=broken&reason=wrong-type')).total, 0, 'filters combine');
    assert.equal((await page(`subdomain=${encodeURIComponent('%')}`)).total, 0, 'no pattern');
  });

  it('bad filters are 400 naming the parameter', async () => {
    for (const [query, message] of [
      ['reason=Invalid-Json', /^reason must be a reason code/],
      ['reason=', /^reason must be a reason code/],
      ['reason=a&reason=b', /^reason must be a string, not an array$/],
      [`subdomain=${'a'.repeat(254)}`, /^subdomain must be 1-253 characters \(it has 254\)$/],
      ['subdomain=', /^subdomain must be 1-253 characters \(it has 0\)$/],
    ] as const) {
      const res = await http().get(`${BASE}/runs/${runId}/exceptions?${query}`).set(AUTH);
      assertProblem(res, 400, 'bad-request', message, query);
      const exportRes = await http()
        .get(`${BASE}/runs/${runId}/exceptions/export?${query}`)
        .set(AUTH);
      assertProblem(exportRes, 400, 'bad-request', message, `export ${query}`);
    }
  });

  it('the export streams NDJSON: a line per key, equal to the page rows, in id order', async () => {
    const lines = linesOf(await exported());
    assert.equal(lines.length, (await page()).total);
    assert.deepEqual(lines, all);
    const ids = lines.map((row) => BigInt(row.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
    );
    assert.deepEqual(linesOf(await exported('reason=invalid-json')), withReason('invalid-json'));
    assert.deepEqual(
      linesOf(await exported('subdomain=broken2&bucket=rejected')),
      all.filter((row) => row.key === `${PREFIX}Broken2`),
    );
    assert.equal(await exported('reason=no-such-code'), '');
    // Hostile bytes are JSON-encoded: the key that is not UTF-8 as its escaped name, the value as base64.
    const badName = lines.find((row) => row.reasons.some((r) => r.code === 'invalid-key-name'));
    assert.equal(badName?.key, `${PREFIX}\\xffA`);
    const binary = lines.find((row) => row.key === `${PREFIX}binary`);
    assert.equal(
      binary?.valuePrefixBase64,
      Buffer.from([0xff, 0xfe, 0x00, 0x1b]).toString('base64'),
    );
    assert.equal(binary?.valueSize, 4);
  });

  it('the export reads a quarantine larger than one page, page after page', async () => {
    // A second run, recorded directly, with rows interleaved with the first run's ids.
    const big = randomUUID();
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO migration_runs (id, kind, status, options, counts)
           SELECT $1, kind, status, options, counts FROM migration_runs WHERE id = $2`,
        [big, runId],
      );
      await db.query(
        `INSERT INTO migration_exceptions (run_id, key, bucket, reasons)
           SELECT CASE WHEN i % 10 = 0 THEN $2::uuid ELSE $1::uuid END, $3 || 'k' || i, 'rejected',
                  '[{"code":"invalid-json","message":"m"}]'::jsonb
             FROM generate_series(1, 2700) AS i`,
        [big, runId, PREFIX],
      );
      const res = await http()
        .get(`${BASE}/runs/${big}/exceptions/export`)
        .set(AUTH)
        .buffer(true)
        .parse((response, done) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => done(null, text));
        });
      assert.equal(res.status, 200);
      const lines = linesOf(res.body as string);
      const total = bodyOf<PageBody>(
        await http().get(`${BASE}/runs/${big}/exceptions?limit=1`).set(AUTH),
      ).total;
      assert.equal(total, 2430);
      assert.equal(lines.length, total);
      const ids = lines.map((row) => BigInt(row.id));
      assert.ok(
        ids.every((id, i) => i === 0 || id > ids[i - 1]),
        'strictly in id order',
      );
      assert.ok(lines.every((row) => row.runId === big));
    } finally {
      await db.query('DELETE FROM migration_runs WHERE id = $1', [big]);
      await db.query(`DELETE FROM migration_exceptions WHERE key LIKE $1 || 'k%'`, [PREFIX]);
      await db.end();
    }
  });

  it('the export of an unknown run is 404, and it takes no paging', async () => {
    const res = await http().get(`${BASE}/runs/${UNKNOWN_RUN}/exceptions/export`).set(AUTH);
    assertProblem(
      res,
      404,
      'migration-run-not-found',
      new RegExp(`^no migration run ${UNKNOWN_RUN}$`),
    );
    for (const name of ['limit', 'offset', 'x']) {
      const bad = await http().get(`${BASE}/runs/${runId}/exceptions/export?${name}=1`).set(AUTH);
      assert.equal(bad.status, 400, bad.text);
      assert.equal(messageOf(bad), `property ${name} should not exist`);
    }
    const notUuid = await http().get(`${BASE}/runs/nope/exceptions/export`).set(AUTH);
    assert.equal(notUuid.status, 400, notUuid.text);
    const anonymous = await http().get(`${BASE}/runs/${runId}/exceptions/export`);
    assert.equal(anonymous.status, 401);
  });

  it('exceptions export writes the same lines to a new file, and refuses an existing one', async () => {
    const out = join(dir, 'run.ndjson');
    const result = await runCli(['exceptions', 'export', runId, '--out', out], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `exceptions export: 7 quarantined keys of run ${runId} written to ${out}\n`,
    );
    assert.equal(await readFile(out, 'utf8'), await exported());

    const filtered = join(dir, 'filtered.ndjson');
    const some = await runCli(
      [
        'exceptions',
        'export',
        runId,
        '--out',
        filtered,
        '--reason',
        'invalid-json',
        '--bucket',
        'rejected',
        '--json',
      ],
      cliEnv(),
    );
    assert.equal(some.code, 0, some.stderr);
    assert.deepEqual(JSON.parse(some.stdout), {
      runId,
      rows: withReason('invalid-json').length,
      path: filtered,
    });
    assert.deepEqual(linesOf(await readFile(filtered, 'utf8')), withReason('invalid-json'));

    const taken = join(dir, 'taken.ndjson');
    await writeFile(taken, 'keep me\n');
    const refused = await runCli(['exceptions', 'export', runId, '--out', taken], cliEnv());
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(
      refused.stderr,
      `tenant-migrate: ${taken} already exists: an export never replaces a file; choose another path\n`,
    );
    assert.equal(await readFile(taken, 'utf8'), 'keep me\n');
  });

  it('exceptions export without --out writes NDJSON on stdout', async () => {
    const result = await runCli(['exceptions', 'export', runId, '--subdomain', 'BROKEN'], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      linesOf(result.stdout),
      all.filter((row) => row.key === `${PREFIX}broken`),
    );
    assert.equal(
      result.stderr,
      `exceptions export: 1 quarantined keys of run ${runId} written to stdout\n`,
    );
    const every = await runCli(['exceptions', 'export', runId], cliEnv());
    assert.equal(every.code, 0, every.stderr);
    assert.deepEqual(linesOf(every.stdout), all);
  });

  it('a bad or unknown run id, or a bad filter, is exit 2 with one line and no file', async () => {
    const out = join(dir, 'never.ndjson');
    for (const [args, line] of [
      [['not-a-uuid'], /^tenant-migrate: "not-a-uuid" is not a run id/],
      [[UNKNOWN_RUN], new RegExp(`^tenant-migrate: no migration run ${UNKNOWN_RUN}$`)],
      [[runId, '--reason', 'Not A Code'], /^tenant-migrate: reason must be a reason code/],
      [[runId, '--bucket', 'migrated'], /--bucket must be rejected or skipped/],
    ] as const) {
      const result = await runCli(['exceptions', 'export', ...args, '--out', out], cliEnv());
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.match(result.stderr.trimEnd(), line);
      assert.equal(result.stdout, '');
      assert.ok(!existsSync(out), `${args.join(' ')}: no file is left`);
    }
  });

  it('exceptions alone is exit 2; PostgreSQL unreachable is exit 3 with one line and no file', async () => {
    const bare = await runCli(['exceptions'], cliEnv());
    assert.equal(bare.code, 2, bare.stderr);
    assert.match(
      bare.stderr,
      /^tenant-migrate: exceptions needs a subcommand: exceptions export <runId>/,
    );
    const out = join(dir, 'down.ndjson');
    const dead = new URL(databaseUrl);
    dead.port = '1';
    const down = await runCli(['exceptions', 'export', runId, '--out', out], {
      ...cliEnv(),
      DATABASE_URL: dead.toString(),
    });
    assert.equal(down.code, 3, down.stderr);
    assert.equal(down.stderr.trimEnd().split('\n').length, 1, down.stderr);
    assert.match(down.stderr, /PostgreSQL/);
    assert.ok(!existsSync(out));
  });
});
