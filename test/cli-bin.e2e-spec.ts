/**
 * The `tenant-migrate` bin (package.json "bin"), `--version`, and LOG_FORMAT: the bin runs the
 * compiled CLI with its output and exit code unchanged, also through `npx tenant-migrate` in the
 * project folder; LOG_FORMAT=json turns the log lines of the CLI (stderr) and of the admin app
 * into JSON objects and leaves the CLI's stdout as it is.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv, collect, failureOf, runCli, type CliResult } from './support/cli.js';
import { createTestStores, type TestStores } from './support/test-stores.js';
import { legacy } from './support/tenant-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/tenant-migrate.mjs');
const ADMIN_ENTRY = fileURLToPath(new URL('../apps/admin/src/main.js', import.meta.url));
const { version: VERSION, bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
const PG_PASSWORD = 'cli-bin-pw-0d6f';
const ADMIN_TOKEN = 'tm-cli-bin-admin-token-5e1f';

/** The bin file run directly, as the shell runs it through its shebang (`node` on PATH). */
const runBin = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  collect(spawn(BIN, args, { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));

/** `npx tenant-migrate ...` in the project folder, as the README gives it. */
const runNpx = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  collect(
    spawn('npx', ['--no-install', 'tenant-migrate', ...args], {
      cwd: ROOT,
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** Each line parsed as a JSON object; fails naming the first line that is not one. */
const jsonLines = (text: string): Record<string, unknown>[] =>
  lines(text).map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      assert.fail(`not a JSON line: ${line}`);
    }
  });

const withPassword = (databaseUrl: string): string => {
  const url = new URL(databaseUrl);
  url.password = PG_PASSWORD;
  return url.toString();
};

describe('the tenant-migrate bin and --version', () => {
  it('package.json names the bin, an executable file that starts with a node shebang', () => {
    assert.equal(bin['tenant-migrate'], 'bin/tenant-migrate.mjs');
    assert.match(readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('--version and -V print the package.json version and exit 0, through the bin and the CLI', async () => {
    for (const result of [
      await runBin(['--version']),
      await runBin(['-V']),
      await runCli(['--version'], {}),
    ]) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${VERSION}\n`);
      assert.equal(result.stderr, '');
    }
  });

  it('npx tenant-migrate runs the bin in the project folder', async () => {
    const result = await runNpx(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${VERSION}\n`);
    const usage = await runNpx(['bogus-command']);
    assert.equal(usage.code, 2, usage.stderr);
  });

  it('--help is the CLI help, listing --version and LOG_FORMAT', async () => {
    const [fromBin, direct] = [await runBin(['--help']), await runCli(['--help'], {})];
    assert.equal(fromBin.code, 0, fromBin.stderr);
    assert.equal(fromBin.stdout, direct.stdout);
    assert.match(fromBin.stdout, /^Usage: tenant-migrate /);
    assert.match(fromBin.stdout, /-V, --version +output the version number/);
    assert.match(fromBin.stdout, /\n {2}LOG_FORMAT +text or json: /);
  });

  it('passes the exit code and output through: usage error 2, store unreachable 3', async () => {
    const unknown = await runBin(['bogus-command']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'tenant-migrate: unknown command "bogus-command"; see --help\n');
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
    const [fromBin, direct] = [await runBin(['runs'], env), await runCli(['runs'], env)];
    assert.equal(fromBin.code, 3, fromBin.stderr);
    assert.equal(fromBin.stderr, direct.stderr);
    assert.equal(fromBin.stdout, direct.stdout);
  });
});

describe('the bin and LOG_FORMAT against the stores', () => {
  let stores: TestStores;
  before(async () => {
    stores = await createTestStores('cli_bin');
    await stores.redis.set(`${stores.prefix}pizza`, legacy('🍕'));
  });
  after(async () => {
    await stores.clearRedis();
    await stores.close();
  });

  const env = (more: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: withPassword(stores.databaseUrl),
    TENANT_KEY_PREFIX: stores.prefix,
    ...more,
  });

  it('a CLI killed by a signal ends the bin by the same signal', async () => {
    const result = await runBin(
      ['migrate', '--json'],
      env({ TENANT_MIGRATE_KILL_AT: 'run-recorded:*' }),
    );
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    assert.equal(result.code, null);
  });

  it('json: the CLI log lines on stderr are JSON objects, stdout is the same document', async () => {
    const args = ['validate', '--json', '--verbose'];
    const text = await runBin(args, env());
    const json = await runBin(args, env({ LOG_FORMAT: 'json' }));
    assert.equal(json.code, text.code, json.stderr);
    assert.equal(json.code, 0, json.stderr);
    // The same document, but for how long each run took.
    const timeless = (stdout: string): unknown => ({
      ...(JSON.parse(stdout) as object),
      durationMs: 0,
    });
    assert.deepEqual(timeless(json.stdout), timeless(text.stdout));
    const records = jsonLines(json.stderr);
    // One record for each text line of the verbose log.
    assert.equal(records.length, lines(text.stderr).length, json.stderr);
    assert.ok(records.length >= 2, json.stderr);
    for (const record of records) {
      assert.equal(record.level, 'verbose');
      assert.equal(record.context, 'tenant-migrate');
      assert.equal(typeof record.timestamp, 'number');
      assert.equal(typeof record.message, 'string');
    }
    assert.match(String(records[0].message), /^validate: started \(verbose log on by --verbose\)/);
    assert.ok(!json.stderr.includes(PG_PASSWORD), 'no secret in the log');
  });

  it('an unknown format is refused before anything runs: exit 2, one line naming it', async () => {
    const human = await runBin(['validate'], env({ LOG_FORMAT: 'xml' }));
    const json = await runCli(['migrate', '--json'], env({ LOG_FORMAT: 'xml' }));
    assert.equal(human.stdout, '');
    // With --json, the failure document on stdout, as for a failure of the command itself.
    assert.equal(failureOf(json).code, 'invalid-option');
    for (const result of [human, json]) {
      assert.equal(result.code, 2, result.stderr);
      assert.equal(lines(result.stderr).length, 1, result.stderr);
      assert.match(result.stderr, /^tenant-migrate: invalid environment: LOG_FORMAT must be /);
      assert.ok(!result.stderr.includes(PG_PASSWORD));
    }
  });

  describe('the admin app', () => {
    let backupDir: string;
    before(async () => (backupDir = await mkdtemp(join(tmpdir(), 'tm-cli-bin-'))));
    after(async () => rm(backupDir, { recursive: true, force: true }));

    const startAdmin = (more: Record<string, string>): ChildProcess =>
      spawn(process.execPath, [ADMIN_ENTRY], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...env({ ADMIN_TOKEN, HOST: '127.0.0.1', PORT: '0', BACKUP_DIR: backupDir }),
          REDIS_URL: cliEnv({}).REDIS_URL ?? '',
          ...more,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });

    it('json: logs JSON lines, its listening line among them, and stops on SIGTERM', async () => {
      const child = startAdmin({ LOG_FORMAT: 'json' });
      const done = collect(child);
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        let stdout = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 20_000);
        child.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const record = jsonLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).find((r) =>
            /^listening on http:\/\/127\.0\.0\.1:\d+$/.test(String(r.message)),
          );
          if (record) {
            clearTimeout(timer);
            resolve(record);
          }
        });
        child.on('exit', (code) => reject(new Error(`the admin app exited with ${code}`)));
      });
      assert.equal(listening.level, 'log');
      assert.equal(listening.context, 'Admin');
      assert.equal(listening.pid, child.pid);
      child.kill('SIGTERM');
      const result = await done;
      const records = [...jsonLines(result.stdout), ...jsonLines(result.stderr)];
      assert.ok(records.length >= 2, result.stdout);
      const output = result.stdout + result.stderr;
      assert.ok(!output.includes(ADMIN_TOKEN) && !output.includes(PG_PASSWORD), 'no secret');
    });

    it('an unknown format: exit 2, one line naming the variable, nothing started', async () => {
      const result = await collect(startAdmin({ LOG_FORMAT: 'xml' }));
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(lines(result.stderr).length, 1, result.stderr);
      assert.match(
        result.stderr,
        /^tenant-migrate admin: invalid environment: LOG_FORMAT must be one of the following values: text, json\n$/,
      );
    });
  });
});
