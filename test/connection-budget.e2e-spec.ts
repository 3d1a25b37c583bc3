/**
 * The connection budget: the sessions of long tasks (migrations, checks, backups) hold at most
 * all but a reserve of the pool, so `/health`, status reads and the operations routes answer
 * at once while they hold every session they may; a session asked for beyond the budget waits
 * for one to be given back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { PostgresSessionFactory, type PostgresSession } from '#tenant-migration';
import { createTestDatabase, TEST_REDIS_URL, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';

const NAMESPACE = testNamespace('connection-budget');
const TOKEN = 'tm-connection-budget-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

describe('the connection budget of long tasks', () => {
  let app: INestApplication<Server>;
  let sessions: PostgresSessionFactory;
  const held: PostgresSession[] = [];

  before(async () => {
    app = await startAdminApp({
      DATABASE_URL: await createTestDatabase('connection_budget'),
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: `${NAMESPACE}subdomain:`,
      ADMIN_TOKEN: TOKEN,
    });
    sessions = app.get(PostgresSessionFactory, { strict: false });
  });

  after(async () => {
    for (const session of held.splice(0)) await session.release();
    await closeAdminApp(app);
  });

  it('short reads answer at once while the sessions hold their whole budget; one more session waits its turn', async () => {
    // The admin app's pool has 10 connections: 7 for sessions, 3 kept.
    assert.equal(sessions.sessionBudget, 7);
    for (let i = 0; i < sessions.sessionBudget; i++) held.push(await sessions.open());
    const http = () => request(app.getHttpServer());
    for (const [path, auth] of [
      ['/health', {}],
      ['/health/ready', {}],
      ['/api/admin/migration?action=status', AUTH],
      ['/api/admin/migration?action=runs', AUTH],
      ['/api/admin/operations', AUTH],
    ] as const) {
      const started = Date.now();
      const res = await http().get(path).set(auth);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.ok(Date.now() - started < 2000, `${path} took ${Date.now() - started} ms`);
    }
    let opened = false;
    const eighth = sessions.open().then((session) => {
      opened = true;
      return session;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(opened, false, 'a session beyond the budget waits');
    await held.pop()?.release();
    held.push(await eighth);
    assert.equal(opened, true);
  });
});
