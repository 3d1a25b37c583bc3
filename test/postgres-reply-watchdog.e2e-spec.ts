/**
 * The PostgreSQL reply watchdog against the real server, through a TCP proxy that can freeze it
 * (connections stay open, nothing comes back): a statement awaiting a reply from a frozen server
 * fails once the bound has passed; an idle connection, a statement that answers in time, a COPY
 * that streams for longer than the bound, and a COPY TO are left alone. A silent statement longer than the
 * bound fails too, as documented: the bound must exceed the longest one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { postgresReplyWatchdog, PostgresReplyTimeoutError, storeOutageOf } from '#tenant-migration';
import { createTestDatabase } from './support/test-stores.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { assertTimedOutAt } from './support/timing.js';

const BOUND_MS = 800;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL reply watchdog', () => {
  let proxy: TcpProxy;
  let url: string;
  const pools: pg.Pool[] = [];

  const pool = (): pg.Pool => {
    const created = new pg.Pool({
      connectionString: url,
      max: 1,
      stream: postgresReplyWatchdog(BOUND_MS),
    });
    created.on('error', () => undefined);
    pools.push(created);
    return created;
  };

  before(async () => {
    const databaseUrl = await createTestDatabase('reply_watchdog', { schema: false });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    url = proxied.toString();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await proxy.close();
  });

  it('leaves an idle connection and timely statements alone', async () => {
    const db = pool();
    assert.equal((await db.query<{ n: number }>('SELECT 1 AS n')).rows[0].n, 1);
    await sleep(BOUND_MS * 2.5);
    assert.equal(
      (await db.query<{ n: number }>('SELECT pg_sleep($1), 2 AS n', [BOUND_MS / 2000])).rows[0].n,
      2,
    );
  });

  it('leaves a COPY that streams for longer than the bound alone', async () => {
    const db = pool();
    const client = await db.connect();
    try {
      await client.query('CREATE TEMP TABLE streamed (n int)');
      const copy = client.query(copyFrom('COPY streamed (n) FROM STDIN'));
      const done = new Promise<void>((resolve, reject) =>
        copy.on('finish', resolve).on('error', reject),
      );
      const started = Date.now();
      for (let n = 0; Date.now() - started < BOUND_MS * 3; n++) {
        copy.write(`${n}\n`);
        await sleep(BOUND_MS / 4);
      }
      copy.end();
      await done;
      assert.ok(
        (await client.query<{ n: string }>('SELECT count(*) AS n FROM streamed')).rows[0].n !== '0',
      );
    } finally {
      client.release();
    }
  });

  it('lets a COPY TO stream its rows (pg-copy-streams takes over the socket)', async () => {
    const db = pool();
    const client = await db.connect();
    try {
      let bytes = 0;
      for await (const chunk of client.query(
        copyTo('COPY (SELECT generate_series(1, 50000)) TO STDOUT'),
      ) as AsyncIterable<Buffer>)
        bytes += chunk.length;
      assert.ok(bytes > 200_000, `${bytes} bytes`);
      assert.equal((await client.query<{ n: number }>('SELECT 5 AS n')).rows[0].n, 5);
    } finally {
      client.release();
    }
  });

  it('fails a statement whose server froze once the bound has passed, as a PostgreSQL outage', async () => {
    const db = pool();
    await db.query('SELECT 1');
    proxy.freeze();
    const started = Date.now();
    try {
      const failure = await db.query('SELECT 2').then(
        () => assert.fail('a frozen server answered'),
        (error: unknown) => error,
      );
      const elapsed = Date.now() - started;
      assert.ok(failure instanceof PostgresReplyTimeoutError, String(failure));
      assertTimedOutAt(elapsed, BOUND_MS, 'the statement to a frozen server', 50);
      assert.match(
        storeOutageOf(failure)?.message ?? '',
        /^PostgreSQL stopped answering \(no reply for 0\.8 s\); try again once it answers$/,
      );
    } finally {
      proxy.restore();
    }
    // The pool replaces the ended connection.
    assert.equal((await db.query<{ n: number }>('SELECT 3 AS n')).rows[0].n, 3);
  });

  it('fails a COPY TO whose server froze in the middle of the rows', async () => {
    const db = pool();
    const client = await db.connect();
    // A checked-out client reports the ended connection as an 'error' event too (TypeORM listens).
    client.on('error', () => undefined);
    try {
      let frozenAt = 0;
      const midway = proxy.whenServerSent(proxy.bytesFromServer + 100_000).then(() => {
        frozenAt = Date.now();
        proxy.freeze();
      });
      const rows = client.query(
        copyTo('COPY (SELECT generate_series(1, 2000000)) TO STDOUT'),
      ) as AsyncIterable<Buffer>;
      await assert.rejects(
        (async () => {
          for await (const chunk of rows) void chunk;
        })(),
        PostgresReplyTimeoutError,
      );
      await midway;
      assertTimedOutAt(Date.now() - frozenAt, BOUND_MS, 'the COPY TO from a server that froze');
    } finally {
      proxy.restore();
      client.release(true);
    }
  });

  it('fails a statement that is silent for longer than the bound (the bound must exceed the longest one)', async () => {
    const db = pool();
    await assert.rejects(
      db.query('SELECT pg_sleep($1)', [(BOUND_MS * 2) / 1000]),
      PostgresReplyTimeoutError,
    );
  });

  it('0 turns it off', async () => {
    const off = new pg.Pool({ connectionString: url, max: 1, stream: postgresReplyWatchdog(0) });
    pools.push(off);
    assert.equal(
      (await off.query<{ n: number }>('SELECT pg_sleep($1), 4 AS n', [(BOUND_MS * 1.5) / 1000]))
        .rows[0].n,
      4,
    );
  });
});
