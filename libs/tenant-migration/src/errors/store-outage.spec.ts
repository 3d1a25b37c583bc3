import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeOutageOf } from './store-outage.js';
import { InvalidOptionError } from './invalid-option.error.js';
import { StoreUnavailableError } from './store-unavailable.error.js';

const withFields = (message: string, fields: Record<string, unknown>): Error =>
  Object.assign(new Error(message), fields);

describe('storeOutageOf', () => {
  const outages: [label: string, error: unknown, store: RegExp][] = [
    [
      'pg: the server closed the connection',
      new Error('Connection terminated unexpectedly'),
      /^PostgreSQL stopped answering \(Connection terminated unexpectedly\)/,
    ],
    [
      'pg-pool: no connection in time',
      new Error('timeout exceeded when trying to connect'),
      /^PostgreSQL stopped answering/,
    ],
    [
      'TypeORM: admin shutdown',
      withFields('terminating connection due to administrator command', {
        name: 'QueryFailedError',
        code: '57P01',
      }),
      /^PostgreSQL/,
    ],
    [
      'pg: connection failure class 08',
      withFields('connection failure', { code: '08006' }),
      /^PostgreSQL/,
    ],
    [
      'pg: too many connections',
      withFields('sorry, too many clients already', { code: '53300' }),
      /^PostgreSQL/,
    ],
    [
      'pg: lock timeout',
      withFields('canceling statement due to lock timeout', { code: '55P03' }),
      /^PostgreSQL: another session held a lock/,
    ],
    [
      'ioredis: retries exhausted',
      withFields(
        'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
        { name: 'MaxRetriesPerRequestError' },
      ),
      /^Redis stopped answering \(no answer after 2 reconnection attempts\)/,
    ],
    [
      'ioredis: command timeout',
      new Error('Command timed out'),
      /^Redis stopped answering \(Command timed out\)/,
    ],
    ['ioredis: closed connection', new Error('Connection is closed.'), /^Redis/],
    [
      'ioredis: a client that gave up reconnecting',
      new Error('Command aborted due to connection close'),
      /^Redis stopped answering \(Command aborted due to connection close\)/,
    ],
    [
      'pg: the socket reset under a statement',
      withFields('read ECONNRESET', { code: 'ECONNRESET', errno: -104, syscall: 'read' }),
      /^PostgreSQL stopped answering \(read ECONNRESET\)/,
    ],
    [
      'pg: a write to a closed socket',
      withFields('write EPIPE', { code: 'EPIPE', syscall: 'write' }),
      /^PostgreSQL/,
    ],
    [
      'pg: the server sent no reply',
      withFields('no reply for 60 s', { name: 'PostgresReplyTimeoutError', code: 'ETIMEDOUT' }),
      /^PostgreSQL stopped answering \(no reply for 60 s\)/,
    ],
    [
      'wrapped in a cause',
      new Error('batch 3 failed', { cause: new Error('Connection terminated unexpectedly') }),
      /^PostgreSQL/,
    ],
  ];
  for (const [label, error, message] of outages) {
    it(`${label}: store-unavailable, in plain words`, () => {
      const outage = storeOutageOf(error);
      assert.ok(outage instanceof StoreUnavailableError, label);
      assert.match(outage.message, message);
      assert.doesNotMatch(outage.message, /maxRetriesPerRequest|Refer to/);
      assert.equal(outage.cause, error, 'the original error stays the cause');
    });
  }

  const others: [label: string, error: unknown][] = [
    [
      'a unique violation',
      withFields('duplicate key value violates unique constraint', { code: '23505' }),
    ],
    ['a syntax error', withFields('syntax error at or near "SELEC"', { code: '42601' })],
    [
      'a Redis reply error',
      withFields('WRONGTYPE Operation against a key holding the wrong kind of value', {
        name: 'ReplyError',
      }),
    ],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'x')")],
    [
      'a domain error, mapped on its own',
      new InvalidOptionError('bad', {}, { cause: new Error('Connection terminated unexpectedly') }),
    ],
    [
      'a file that is not there',
      withFields("ENOENT: no such file or directory, open 'x'", {
        code: 'ENOENT',
        syscall: 'open',
      }),
    ],
    ['an errno without a system call', withFields('ECONNRESET', { code: 'ECONNRESET' })],
    ['not an error', 'Connection terminated unexpectedly'],
    ['null', null],
  ];
  for (const [label, error] of others) {
    it(`${label}: not an outage`, () => assert.equal(storeOutageOf(error), null));
  }
});
