/**
 * The admin API's rate limit end to end: the real admin app with a low limit (3 requests per
 * 2 s per client), listening on loopback and called from distinct loopback addresses
 * (127.0.0.2, 127.0.0.3, ...), so each test is its own client with its own count. A client over
 * the limit is answered 429 problem+json with `Retry-After`, before its token is checked and
 * before any store is asked; the health routes are never limited; after the window it is
 * served again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { TENANT_REDIS } from '#tenant-migration';
import { createTestDatabase, TEST_REDIS_URL, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { httpProblem } from './support/problem.js';

const TOKEN = 'tm-throttle-test-token-0123456789';
const BASE = '/api/admin/migration';
const LIMIT = 3;
const WINDOW_MS = 2000;
const DETAIL = /^too many requests: at most 3 per 2000 ms from one client; retry after [12] s$/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RequestOptions {
  /** The bearer token; null sends none. */
  token?: string | null;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

describe('admin API rate limit', () => {
  let app: INestApplication<Server> | undefined;
  let port = 0;
  let nextClient = 2;

  /** A new client: requests from its own loopback address. */
  const client = () => {
    const localAddress = `127.0.0.${nextClient++}`;
    return (
      path: string,
      { token = TOKEN, method = 'GET', headers = {} }: RequestOptions = {},
    ): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const body = method === 'POST' ? JSON.stringify({ action: 'validate' }) : undefined;
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            localAddress,
            path,
            method,
            headers: {
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(body ? { 'content-type': 'application/json' } : {}),
              ...headers,
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: text ? (JSON.parse(text) as unknown) : undefined,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
  };

  /** The 429 answer: the problem document, and `Retry-After` in whole seconds within the window. */
  const assertThrottled = (answer: Answer, label: string): number => {
    assert.equal(answer.status, 429, `${label}: ${JSON.stringify(answer.body)}`);
    assert.match(
      String(answer.headers['content-type']),
      /^application\/problem\+json; charset=utf-8$/,
    );
    const body = answer.body as { detail: string };
    assert.match(body.detail, DETAIL, label);
    assert.deepEqual(body, { ...httpProblem(429, body.detail), code: 'too-many-requests' });
    const retryAfter = String(answer.headers['retry-after']);
    assert.match(retryAfter, /^[1-9]\d*$/, `${label}: Retry-After ${retryAfter}`);
    assert.ok(Number(retryAfter) <= WINDOW_MS / 1000, `${label}: Retry-After ${retryAfter}`);
    return Number(retryAfter);
  };

  /** What the stores were asked while `work` ran: PostgreSQL connections taken, Redis commands. */
  const storeUse = async (work: () => Promise<void>): Promise<{ pg: number; redis: number }> => {
    assert.ok(app);
    const pool = (app.get(DataSource).driver as unknown as { master: EventEmitter }).master;
    const redis = app.get<Redis>(TENANT_REDIS, { strict: false });
    const use = { pg: 0, redis: 0 };
    const onAcquire = () => (use.pg += 1);
    pool.on('acquire', onAcquire);
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args) => {
      use.redis += 1;
      return sendCommand(...args);
    };
    try {
      await work();
    } finally {
      pool.off('acquire', onAcquire);
      redis.sendCommand = sendCommand;
    }
    return use;
  };

  before(async () => {
    const databaseUrl = await createTestDatabase('throttle');
    app = await startAdminApp({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: `${testNamespace('throttle')}subdomain:`,
      ADMIN_TOKEN: TOKEN,
      ADMIN_RATE_LIMIT: String(LIMIT),
      ADMIN_RATE_WINDOW_MS: String(WINDOW_MS),
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });

  after(async () => {
    await closeAdminApp(app);
  });

  it('answers the first requests as usual, then 429 on every admin route without asking a store, until the window passes', async () => {
    const send = client();
    for (let i = 1; i <= LIMIT; i++) {
      const answer = await send(`${BASE}?action=status`);
      assert.equal(answer.status, 200, `request ${i}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.headers['x-ratelimit-limit'], String(LIMIT));
      assert.equal(answer.headers['x-ratelimit-remaining'], String(LIMIT - i));
    }
    let retryAfter = 0;
    const use = await storeUse(async () => {
      retryAfter = assertThrottled(await send(`${BASE}?action=stats`), 'request 4');
      // The count is the client's, not a route's: every admin route is refused.
      assertThrottled(await send(`${BASE}/runs/${randomUUID()}`), 'a run');
      assertThrottled(await send(BASE, { method: 'POST' }), 'a validation');
    });
    assert.deepEqual(use, { pg: 0, redis: 0 }, 'a refused request asks no store');

    await sleep(retryAfter * 1000 + 100);
    const again = await send(`${BASE}?action=status`);
    assert.equal(again.status, 200, `after Retry-After: ${JSON.stringify(again.body)}`);
  });

  it('never limits the health routes, which leave the admin count alone', async () => {
    const send = client();
    for (let i = 0; i < 3 * LIMIT; i++) {
      assert.equal((await send('/health/live', { token: null })).status, 200, `live ${i}`);
    }
    assert.equal((await send('/health', { token: null })).status, 200);
    assert.equal((await send('/health/ready', { token: null })).status, 200);
    for (let i = 1; i <= LIMIT; i++) {
      assert.equal((await send(`${BASE}?action=status`)).status, 200, `admin request ${i}`);
    }
    assertThrottled(await send(`${BASE}?action=status`), 'admin request 4');
    // A throttled client's probes are still answered.
    assert.equal((await send('/health/live', { token: null })).status, 200);
  });

  it('limits an unauthenticated flood too, whatever X-Forwarded-For it claims', async () => {
    const send = client();
    for (let i = 1; i <= LIMIT; i++) {
      const answer = await send(`${BASE}?action=status`, {
        token: null,
        headers: { 'x-forwarded-for': `203.0.113.${i}` },
      });
      assert.equal(answer.status, 401, `request ${i}`);
    }
    assertThrottled(
      await send(`${BASE}?action=status`, {
        token: null,
        headers: { 'x-forwarded-for': '203.0.113.99' },
      }),
      'unauthenticated request 4',
    );
    // The client is refused even with the right token now: the count is per address.
    assertThrottled(await send(`${BASE}?action=status`), 'authenticated request 5');
  });

  it('counts each client apart', async () => {
    const first = client();
    const second = client();
    for (let i = 1; i <= LIMIT; i++) await first(`${BASE}?action=status`);
    assertThrottled(await first(`${BASE}?action=status`), 'first client');
    let status = 0;
    const use = await storeUse(async () => {
      status = (await second(`${BASE}?action=status`)).status;
    });
    assert.equal(status, 200, 'second client');
    // The measure of the refused requests' store use sees a served one's.
    assert.ok(use.pg > 0, `PostgreSQL connections taken: ${use.pg}`);
  });
});
