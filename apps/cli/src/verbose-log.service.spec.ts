import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigService } from '@nestjs/config';
import { validateEnvironment, type EnvironmentVariables } from '../../shared/environment.js';
import { VerboseLog, verboseFromEnvironment } from './verbose-log.service.js';

const sutWith = (env: Record<string, string>): VerboseLog =>
  new VerboseLog(new ConfigService<EnvironmentVariables, true>(validateEnvironment(env)));

/** What `run` writes to stderr while it runs. */
const stderrOf = (run: () => void): string => {
  const write = process.stderr.write.bind(process.stderr);
  let written = '';
  process.stderr.write = (chunk: string | Uint8Array) => {
    written += chunk.toString();
    return true;
  };
  try {
    run();
  } finally {
    process.stderr.write = write;
  }
  return written;
};

describe('VerboseLog', () => {
  // ConfigService falls back to process.env for a variable the validated config leaves unset.
  const inherited = process.env.NODE_ENV;
  before(() => delete process.env.NODE_ENV);
  after(() => {
    if (inherited !== undefined) process.env.NODE_ENV = inherited;
  });

  it('NODE_ENV=development turns it on; any other value leaves it off', () => {
    assert.equal(verboseFromEnvironment('development'), true);
    for (const value of [undefined, '', 'production', 'test', 'Development', 'dev'])
      assert.equal(verboseFromEnvironment(value), false, String(value));
    assert.equal(sutWith({ NODE_ENV: 'development' }).enabledBy, 'NODE_ENV=development');
    assert.equal(sutWith({ NODE_ENV: 'production' }).enabled, false);
  });

  it('--verbose turns it on; NODE_ENV keeps the credit when both do', () => {
    const sut = sutWith({});
    sut.enable();
    assert.equal(sut.enabledBy, '--verbose');
    const both = sutWith({ NODE_ENV: 'development' });
    both.enable();
    assert.equal(both.enabledBy, 'NODE_ENV=development');
  });

  it('writes one escaped, time-stamped line per event on stderr, nothing while off', () => {
    assert.equal(
      stderrOf(() => sutWith({}).log('quiet')),
      '',
    );
    const sut = sutWith({ NODE_ENV: 'development' });
    const written = stderrOf(() => sut.log('key shop\u001b[2J:\nx'));
    assert.match(
      written,
      /^tenant-migrate: \[verbose\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z key shop\\x1b\[2J:\\x0ax\n$/,
    );
  });

  it('settings leave out every URL and token', () => {
    const sut = sutWith({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://u:pw-1@h/d',
      REDIS_URL: 'redis://:pw-2@h',
      TENANT_KEY_PREFIX: 't:',
    });
    const written = stderrOf(() => sut.logSettings('check'));
    assert.match(
      written,
      /check: settings TENANT_TABLES=unset, TENANT_KEY_PREFIX="t:", MIGRATION_BATCH_SIZE=2000, MAX_VALUE_BYTES=65536, /,
    );
    assert.doesNotMatch(written, /pw-|_URL/);
  });

  it('scan progress: a line per batch, and nothing counted while off', () => {
    assert.equal(sutWith({}).scanProgress('validate'), undefined);
    const progress = sutWith({ NODE_ENV: 'development' }).scanProgress('validate');
    const written = stderrOf(() => {
      progress?.(5);
      progress?.(12);
    });
    assert.match(
      written,
      /validate: batch 1: 5 keys, 5 in all\n.*validate: batch 2: 7 keys, 12 in all\n$/,
    );
  });
});

describe('VerboseLog with LOG_FORMAT=json', () => {
  it("writes each event as one of Nest's JSON log objects on stderr, the event made safe", () => {
    const sut = sutWith({ LOG_FORMAT: 'json' });
    sut.enable();
    const stdout = process.stdout.write.bind(process.stdout);
    let onStdout = '';
    process.stdout.write = (chunk: string | Uint8Array) => {
      onStdout += chunk.toString();
      return true;
    };
    let written: string;
    try {
      written = stderrOf(() => {
        sut.log('migrate: batch 1: 5 keys');
        sut.log('key "a\x1b[2Jb"');
      });
    } finally {
      process.stdout.write = stdout;
    }
    assert.equal(onStdout, '');
    const lines = written.trimEnd().split('\n');
    assert.equal(lines.length, 2, written);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(first.level, 'verbose');
    assert.equal(first.context, 'tenant-migrate');
    assert.equal(first.message, 'migrate: batch 1: 5 keys');
    assert.equal(first.pid, process.pid);
    assert.equal(typeof first.timestamp, 'number');
    assert.equal(second.message, 'key "a\\x1b[2Jb"');
  });

  it('stays silent while the log is off', () => {
    assert.equal(
      stderrOf(() => sutWith({ LOG_FORMAT: 'json' }).log('x')),
      '',
    );
  });
});
