/**
 * Every command's `--help` ends with the environment variables it reads: exactly those of
 * the CLI's table, each command of the CLI in it, the stores a command does not touch left out,
 * and never a value (a URL or token may hold a password). The compiled CLI as a child process;
 * help connects to neither store.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliResult } from './support/cli.js';
import {
  COMMAND_PATHS,
  variablesOf,
  type CommandPath,
} from '../apps/cli/src/command-environment.js';

/** Values that must never show: every variable set, and each marker appears nowhere in help. */
const SECRET_ENV = {
  DATABASE_URL: 'postgres://postgres:pg-Secret-1@127.0.0.1:5432/help_marker_db',
  REDIS_URL: 'redis://default:redis-Secret-2@127.0.0.1:6379/11',
  UPSTASH_REDIS_REST_URL: 'https://upstash-marker.example.com',
  UPSTASH_REDIS_REST_TOKEN: 'upstash-Secret-3',
  RESTORE_TARGET_URL: 'redis://default:restore-Secret-4@127.0.0.1:6379/12',
  TENANT_KEY_PREFIX: 'prefix-marker-5:',
  BACKUP_DIR: 'backup-dir-marker-6',
  RESERVED_SUBDOMAINS: 'reserved-marker-7',
};
const MARKERS = [
  'pg-Secret-1',
  'help_marker_db',
  'redis-Secret-2',
  'upstash-marker',
  'upstash-Secret-3',
  'restore-Secret-4',
  'prefix-marker-5',
  'backup-dir-marker-6',
  'reserved-marker-7',
];

const argsOf = (path: CommandPath): string[] =>
  path === 'tenant-migrate' ? ['--help'] : [...path.split(' '), '--help'];

/** The names of the "Commands:" section of a help text (the first word of each entry). */
const subcommandsIn = (help: string): string[] => {
  const section = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]);
};

const HEADER = 'Environment (read by this command; values are never shown here):';

/** The variables the "Environment" section lists, in order; null when the help has none. */
const environmentIn = (help: string): string[] | null => {
  const [, section] = help.split(`\n${HEADER}\n`);
  if (section === undefined) return null;
  return [...section.matchAll(/^ {2}([A-Z][A-Z0-9_]*) {2,}/gm)].map((m) => m[1]);
};

describe('CLI --help: the environment variables each command reads', () => {
  const helps = new Map<string, CliResult>();

  before(async () => {
    // Every path the table knows, and every one the CLI shows (found by walking the help).
    const pending: string[][] = [[]];
    while (pending.length > 0) {
      const batch = pending.splice(0);
      const results = await Promise.all(
        batch.map((path) => runCli([...path, '--help'], SECRET_ENV)),
      );
      batch.forEach((path, i) => {
        helps.set(path.length === 0 ? 'tenant-migrate' : path.join(' '), results[i]);
        for (const sub of subcommandsIn(results[i].stdout)) pending.push([...path, sub]);
      });
    }
  });

  it('the table covers every command of the CLI, and only those', () => {
    assert.deepEqual([...helps.keys()].sort(), [...COMMAND_PATHS].sort());
    assert.ok(
      helps.has('backup verify') && helps.has('backup list'),
      'the subcommands are walked too',
    );
    for (const sub of ['list', 'show', 'cancel', 'pause', 'resume'])
      assert.ok(helps.has(`operations ${sub}`), `operations ${sub}`);
  });

  for (const path of COMMAND_PATHS) {
    it(`${argsOf(path).join(' ')} lists exactly the variables ${path} reads`, () => {
      const help = helps.get(path);
      assert.ok(help, `no help for ${path}`);
      assert.equal(help.code, 0, help.stderr);
      assert.equal(help.stderr, '');
      assert.deepEqual(
        environmentIn(help.stdout),
        variablesOf(path).map((u) => u.variable),
      );
      const section = help.stdout.split(`\n${HEADER}\n`)[1] ?? '';
      assert.ok(
        section.split('\n').every((line) => line === '' || line.startsWith('  ')),
        'the section ends the help',
      );
      assert.match(help.stdout, /--verbose +log each step/, 'every command takes --verbose');
      for (const marker of MARKERS)
        assert.ok(!help.stdout.includes(marker), `${path}: help shows a value (${marker})`);
    });
  }

  const listed = (path: CommandPath): string[] =>
    environmentIn(helps.get(path)?.stdout ?? '') ?? [];
  const REDIS = ['REDIS_URL', 'UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'];
  const POSTGRES = ['DATABASE_URL', 'TENANT_TABLES'];

  it('a Redis-only command lists no PostgreSQL variable; PostgreSQL-only ones list no Redis variable', () => {
    for (const variable of POSTGRES)
      assert.ok(
        !listed('validate').includes(variable),
        `validate reads Redis only, not ${variable}`,
      );
    for (const variable of REDIS)
      assert.ok(listed('validate').includes(variable), `validate reads ${variable}`);
    for (const path of [
      'runs',
      'backup list',
      'restore-postgres',
      'operations list',
      'operations show',
      'operations cancel',
      'operations pause',
      'operations resume',
    ] as const) {
      for (const variable of [...REDIS, 'TENANT_KEY_PREFIX'])
        assert.ok(
          !listed(path).includes(variable),
          `${path} reads PostgreSQL only, not ${variable}`,
        );
      for (const variable of POSTGRES)
        assert.ok(listed(path).includes(variable), `${path} reads ${variable}`);
    }
    // Backups are recorded in PostgreSQL: every backup command reads it, Redis only where it dumps or compares.
    for (const path of ['backup', 'backup verify', 'backup list', 'restore', 'cleanup'] as const)
      assert.ok(listed(path).includes('DATABASE_URL'), path);
    assert.match(helps.get('backup verify')?.stdout ?? '', /REDIS_URL +.*\n?.*\(.*with --live\)/);
    assert.match(
      helps.get('backup')?.stdout ?? '',
      /BACKUP_DIR +folder of new backup files \(default backups; unless\s+--out\)/,
    );
  });

  it('the command-specific variables appear only where they are read', () => {
    for (const path of COMMAND_PATHS) {
      assert.ok(listed(path).includes('NODE_ENV'), `${path} lists NODE_ENV`);
      assert.equal(
        listed(path).includes('RESTORE_TARGET_URL'),
        path === 'restore',
        `RESTORE_TARGET_URL: ${path}`,
      );
      assert.equal(
        listed(path).includes('BACKUP_DIR'),
        path === 'backup' || path === 'tenant-migrate',
        `BACKUP_DIR: ${path}`,
      );
      assert.equal(
        listed(path).includes('TENANT_MIGRATE_KILL_AT'),
        ['tenant-migrate', 'migrate', 'dry-run', 'resume'].includes(path),
        `TENANT_MIGRATE_KILL_AT: ${path}`,
      );
      for (const adminOnly of ['ADMIN_TOKEN', 'PORT', 'HOST'])
        assert.ok(!listed(path).includes(adminOnly), `${path}: ${adminOnly} is the admin app's`);
    }
    // A resumed run keeps the batch size and conflict policy it started with.
    assert.ok(
      !listed('resume').includes('CONFLICT_POLICY') &&
        !listed('resume').includes('MIGRATION_BATCH_SIZE'),
    );
    assert.ok(
      listed('migrate').includes('CONFLICT_POLICY') &&
        listed('dry-run').includes('MIGRATION_BATCH_SIZE'),
    );
  });

  it('shows the defaults, and connects to no store for help', () => {
    const migrate = helps.get('migrate')?.stdout ?? '';
    assert.match(
      migrate,
      /MIGRATION_BATCH_SIZE +keys per batch and transaction, 1-50000 \(default\s+2000; unless --batch-size\)/,
    );
    assert.match(
      migrate,
      /TENANT_KEY_PREFIX +prefix of the tenant keys in Redis \(default\s+subdomain:\)/,
    );
    assert.match(
      migrate,
      /REDIS_URL +Redis connection URL \(unset: the Upstash pair's,\s+else redis:\/\/127\.0\.0\.1:6379\)/,
    );
    // SECRET_ENV points at a database that does not exist: help never dialled it.
    for (const [path, help] of helps) assert.equal(help.code, 0, `${path}: ${help.stderr}`);
  });
});
