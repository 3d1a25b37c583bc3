/**
 * What the CLI writes reaches its reader whole and harmless: a large `--json` document read
 * slowly through a pipe arrives complete, a reader that stops early ends the CLI quietly, and
 * nothing from the stores can drive the operator's terminal (escape sequences, C1 controls,
 * bidi overrides are shown escaped). Real child processes, real PostgreSQL and Redis.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { collect, runCli, startCli, type CliResult } from './support/cli.js';
import { legacy } from './support/tenant-fixtures.js';

/** Bytes a terminal acts on, or that reorder what it shows; \n and \t are the CLI's own layout. */
// eslint-disable-next-line no-control-regex -- the control characters are what this looks for
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

const assertNoRawControl = (label: string, result: CliResult): void => {
  for (const [stream, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    const found = RAW_CONTROL.exec(text);
    assert.equal(
      found,
      null,
      `${label} ${stream} holds a raw U+${(found?.[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, (found?.index ?? 0) - 40), (found?.index ?? 0) + 40))}`,
    );
  }
};

const ADMIN_ENTRY = fileURLToPath(new URL('../apps/admin/src/main.js', import.meta.url));

describe('CLI output: complete through pipes, escaped on terminals', () => {
  const namespace = testNamespace('cli-output');
  const bigPrefix = `${namespace}big:`;
  const hostilePrefix = `${namespace}hostile:`;
  const TENANTS = 3000;
  let redis: Redis;
  let bigDatabase: string;
  let hostileDatabase: string;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${namespace}*`);
    [bigDatabase, hostileDatabase] = await Promise.all([
      createTestDatabase('cli_output_big'),
      createTestDatabase('cli_output_hostile'),
    ]);
    // Never migrated: every key is an only-in-redis drift, so `check --json` lists all of them.
    const seed = redis.pipeline();
    for (let i = 0; i < TENANTS; i++)
      seed.set(`${bigPrefix}tenant-${String(i).padStart(5, '0')}`, legacy('🍕', 1700000000000 + i));
    await seed.exec();
  });
  after(async () => {
    await deleteByPattern(redis, `${namespace}*`);
    redis.disconnect();
  });

  it('a large check --json read slowly through a pipe arrives complete and parses', async () => {
    const child = startCli(['check', '--json'], {
      DATABASE_URL: bigDatabase,
      TENANT_KEY_PREFIX: bigPrefix,
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A slow reader: the pipe fills and the CLI's write stays pending while it waits.
    child.stdout?.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout?.pause();
      setTimeout(() => child.stdout?.resume(), chunks.length === 1 ? 500 : 15);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(text.length > 300_000, `the document is large (${text.length} bytes)`);
    const report = JSON.parse(text) as {
      consistent: boolean;
      onlyInRedis: number;
      drift: unknown[];
    };
    assert.equal(code, 1, stderr);
    assert.deepEqual(
      [report.consistent, report.onlyInRedis, report.drift.length],
      [false, TENANTS, TENANTS],
    );
    assert.equal(stderr, '');
  });

  it('a reader that closes after a few bytes ends the CLI promptly, without a stack trace', async () => {
    const started = Date.now();
    const child = startCli(['check', '--json'], {
      DATABASE_URL: bigDatabase,
      TENANT_KEY_PREFIX: bigPrefix,
    });
    let got = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      got += chunk.length;
      // like `| head -c 100`: take a little, then close the read end
      child.stdout?.destroy();
    });
    const result = await collect(child);
    assert.ok(got > 0);
    assert.equal(result.signal, null);
    // The reader's leaving does not change the command's answer: drift found.
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /EPIPE|Error|\n\s+at /);
    assert.ok(Date.now() - started < 15_000, 'exits promptly');
  });

  it('keys and values holding escape sequences, C1 controls and bidi overrides reach human output escaped', async () => {
    const env = { DATABASE_URL: hostileDatabase, TENANT_KEY_PREFIX: hostilePrefix };
    const titleSequence = '\x1b]0;pwned\x07';
    await redis.set(`${hostilePrefix}shop`, legacy('🛍️'));
    // Key names (UTF-8, so shown as text) and values: each one a rejected or skipped sample.
    await redis.set(`${hostilePrefix}${titleSequence}`, legacy('🍕'));
    await redis.set(`${hostilePrefix}clear\x1b[2J\rcsi\u009b31mrtl\u202egpj.exe`, legacy('🍕'));
    await redis.set(`${hostilePrefix}bademoji`, legacy(`\u009b31m${titleSequence}\u202e`));
    await redis.set(`${hostilePrefix}notjson`, `${titleSequence}\r\u009b2J`);
    await redis.set(`${hostilePrefix}notjson2`, `{"emoji": "x"\u202e${titleSequence}`);

    const validate = await runCli(['validate'], env);
    assert.equal(validate.code, 1, validate.stderr);
    assertNoRawControl('validate', validate);
    assert.match(validate.stdout, /\\x1b\]0;pwned\\x07/);

    // The samples of a migration (a dry run prints them the same way).
    const migrate = await runCli(['migrate'], env);
    assert.equal(migrate.code, 1, migrate.stderr);
    assertNoRawControl('migrate', migrate);
    // The hostile text did reach the output, made visible.
    assert.match(migrate.stdout, /\\x1b\]0;pwned\\x07/);
    assert.match(migrate.stdout, /\\u202e/);
    assert.match(migrate.stdout, /\\x9b/);

    // A value in PostgreSQL that differs from Redis: the drift list quotes both sides.
    const db = new pg.Client({ connectionString: hostileDatabase });
    await db.connect();
    try {
      await db.query("UPDATE tenants SET emoji = $1 WHERE subdomain = 'shop'", [
        `Shop\u009b31m${titleSequence}\r\u202e\u2066x`,
      ]);
    } finally {
      await db.end();
    }
    const check = await runCli(['check'], env);
    assert.equal(check.code, 1, check.stderr);
    assertNoRawControl('check', check);
    assert.match(check.stdout, /different\s+shop .*emoji: .*\\u202e/);
    assert.match(check.stdout, /\\x1b\]0;pwned\\x07/);
  });

  it('the admin app writes no colour codes when its output is a pipe', async () => {
    // NO_COLOR unset on purpose: nothing but the pipe tells the app that no terminal is there.
    const child = spawn(process.execPath, [ADMIN_ENTRY], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: '0',
        ADMIN_TOKEN: 'tm-cli-output-token-0123456789ab',
        DATABASE_URL: bigDatabase,
        REDIS_URL: TEST_REDIS_URL,
        TENANT_KEY_PREFIX: bigPrefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = collect(child);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      // Nest's start-up lines and the app's own "listening on" line all go through the logger.
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (/listening on http/.test(seen)) resolve();
        });
        child.on('exit', (code) =>
          reject(new Error(`the admin app exited with ${code} before listening`)),
        );
      });
    } finally {
      child.kill('SIGKILL');
      clearTimeout(killer);
    }
    const result = await done;
    assert.match(result.stdout, /\[Nest\].*listening on http/);
    // eslint-disable-next-line no-control-regex -- ESC starts every terminal escape sequence
    assert.doesNotMatch(result.stdout + result.stderr, /\x1b/);
  });
});
