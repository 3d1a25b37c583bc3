import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  COMMAND_PATHS,
  describeSettings,
  environmentHelp,
  isCommandPath,
  variablesOf,
  wrapWords,
} from './command-environment.js';

describe('command environment table', () => {
  it('lists each variable once per command, NODE_ENV in every one', () => {
    for (const path of COMMAND_PATHS) {
      const names = variablesOf(path).map((u) => u.variable);
      assert.equal(new Set(names).size, names.length, `${path}: ${names.join(', ')}`);
      assert.ok(names.includes('NODE_ENV'), path);
    }
  });

  it('lists LOG_FORMAT for every command, and leaves it out of the settings line', () => {
    for (const path of COMMAND_PATHS) {
      assert.ok(
        variablesOf(path).some((u) => u.variable === 'LOG_FORMAT'),
        path,
      );
      assert.doesNotMatch(
        describeSettings(path, () => 'json'),
        /LOG_FORMAT/,
        path,
      );
    }
    assert.match(environmentHelp('runs'), /LOG_FORMAT {17}text or json: .*\(default text\)/s);
  });

  it('lists PROGRESS_INTERVAL_MS for the commands that show progress, and leaves it out of the settings line', () => {
    const showProgress = [
      'tenant-migrate',
      'migrate',
      'dry-run',
      'resume',
      'validate',
      'check',
      'backup',
      'backup verify',
      'restore',
      'cleanup',
      'operations start',
      'operations follow',
    ];
    for (const path of COMMAND_PATHS) {
      const use = variablesOf(path).find((u) => u.variable === 'PROGRESS_INTERVAL_MS');
      assert.equal(use !== undefined, showProgress.includes(path), path);
      assert.doesNotMatch(
        describeSettings(path, () => 5000),
        /PROGRESS_INTERVAL_MS/,
        path,
      );
    }
    assert.match(
      environmentHelp('backup'),
      /PROGRESS_INTERVAL_MS {7}ms between progress lines when stderr is not a\n {29}terminal; 0: every report \(default 5000; unless\n {29}--postgres\)/,
    );
  });

  it('knows the commands by their path below the root', () => {
    for (const path of ['tenant-migrate', 'migrate', 'backup verify', 'restore-postgres'])
      assert.ok(isCommandPath(path), path);
    for (const path of ['verify', 'backup  verify', 'toString', ''])
      assert.ok(!isCommandPath(path), path);
  });

  it('help: one line per variable within 80 columns, with defaults and conditions', () => {
    for (const path of COMMAND_PATHS) {
      const help = environmentHelp(path);
      for (const line of help.split('\n')) assert.ok(line.length <= 80, `${path}: ${line}`);
      assert.equal([...help.matchAll(/^ {2}[A-Z]/gm)].length, variablesOf(path).length, path);
    }
    const backup = environmentHelp('backup');
    assert.match(backup, /^\nEnvironment \(read by this command; values are never shown here\):\n/);
    assert.match(
      backup,
      /BACKUP_DIR {17}folder of new backup files \(default backups; unless\n {29}--out\)/,
    );
    assert.match(environmentHelp('runs'), /TENANT_TABLES {14}table=name pairs/);
  });

  it('settings: the values of variables that hold no secret, never a URL or token', () => {
    const env: Partial<Record<string, string | number>> = {
      DATABASE_URL: 'postgres://u:pw@db/x',
      REDIS_URL: 'redis://:pw@r',
      UPSTASH_REDIS_REST_TOKEN: 'tok',
      RESTORE_TARGET_URL: 'redis://:pw@t',
      TENANT_KEY_PREFIX: 'tenant:',
      MIGRATION_BATCH_SIZE: 500,
    };
    const line = describeSettings('migrate', (variable) => env[variable]);
    assert.match(
      line,
      /^TENANT_TABLES=unset, TENANT_KEY_PREFIX="tenant:", MIGRATION_BATCH_SIZE=500, /,
    );
    assert.doesNotMatch(line, /pw|tok|_URL/);
    assert.equal(
      describeSettings('restore', (variable) => env[variable]),
      'TENANT_TABLES=unset, REDIS_COMMAND_TIMEOUT_MS=unset, POSTGRES_LOCK_TIMEOUT_MS=unset, POSTGRES_REPLY_TIMEOUT_MS=unset, NODE_ENV=unset',
    );
  });
});

describe('wrapWords', () => {
  const cases: [text: string, width: number, lines: string[]][] = [
    ['short', 10, ['short']],
    ['one two three', 7, ['one two', 'three']],
    ['a verylongword b', 4, ['a', 'verylongword', 'b']],
    ['', 10, ['']],
  ];
  for (const [text, width, lines] of cases) {
    it(`${JSON.stringify(text)} at ${width}`, () =>
      assert.deepEqual(wrapWords(text, width), lines));
  }
});
