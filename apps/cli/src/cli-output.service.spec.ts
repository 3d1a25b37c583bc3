import 'reflect-metadata';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigService } from '@nestjs/config';
import { StoreUnavailableError } from '#tenant-migration';
import { validateEnvironment, type EnvironmentVariables } from '../../shared/environment.js';
import { CliOutput } from './cli-output.service.js';
import { VerboseLog } from './verbose-log.service.js';

const outputWith = (env: Record<string, string>): CliOutput => {
  const config = new ConfigService<EnvironmentVariables, true>(validateEnvironment(env));
  return new CliOutput(new VerboseLog(config), config);
};

/** What `run` writes to stderr while it runs, with stderr a terminal or not. */
const stderrOf = (run: () => void, { tty }: { tty: boolean }): string => {
  const write = process.stderr.write.bind(process.stderr);
  const wasTty = process.stderr.isTTY;
  let written = '';
  process.stderr.write = (chunk: string | Uint8Array) => {
    written += chunk.toString();
    return true;
  };
  process.stderr.isTTY = tty;
  try {
    run();
  } finally {
    process.stderr.write = write;
    process.stderr.isTTY = wasTty;
  }
  return written;
};

// eslint-disable-next-line no-control-regex -- the terminal's control sequences are what it strips
const visible = (text: string): string => text.replace(/\x1b(\[[\d;?]*[A-Za-z]|[78])/g, '');

describe('CliOutput.count', () => {
  let out: CliOutput | null = null;
  afterEach(() => out?.stopProgress());

  it('on a stderr that is no terminal: a line per report at PROGRESS_INTERVAL_MS=0, none for a pass that begins', () => {
    out = outputWith({ PROGRESS_INTERVAL_MS: '0' });
    const sut = out;
    const written = stderrOf(
      () => {
        const restoring = sut.count('restoring', 'entries');
        restoring(0, 2500);
        restoring(1000, 2500);
        restoring(2000, 2500);
      },
      { tty: false },
    );
    const lines = written.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, written);
    assert.match(lines[0], /^restoring: 1,000\/2,500 entries \([\d,]+ entries\/s(, ETA \d+s)?\)$/);
    assert.match(lines[1], /^restoring: 2,000\/2,500 entries /);
  });

  it('writes nothing before the interval has passed since the count was set up (5 s by default)', () => {
    out = outputWith({});
    const sut = out;
    const written = stderrOf(
      () => {
        const checking = sut.count('checking', 'keys');
        for (let done = 500; done <= 5000; done += 500) checking(done);
      },
      { tty: false },
    );
    assert.equal(written, '');
  });

  it('on a terminal: a bar that ends on its own line before the error line', () => {
    out = outputWith({});
    const sut = out;
    const written = stderrOf(
      () => {
        sut.count('checking', 'keys')(1500);
        sut.fail(new StoreUnavailableError('Redis is unavailable', {}));
      },
      { tty: true },
    );
    const lines = visible(written).split(/[\r\n]+/);
    assert.match(lines[0], /^checking 1500 keys \| [\d,]+\/s$/);
    assert.equal(lines[1], 'tenant-migrate: Redis is unavailable');
  });

  it("on a terminal: the next pass's bar replaces the first, each on a line of its own", () => {
    out = outputWith({});
    const sut = out;
    const written = stderrOf(
      () => {
        const verifying = sut.count('verifying backup', 'entries');
        const restoring = sut.count('restoring', 'entries');
        verifying(1000, 2000);
        verifying(2000, 2000);
        restoring(0, 2000);
        restoring(1000, 2000);
        sut.stopProgress();
        sut.err('done');
      },
      { tty: true },
    );
    // Each bar's last drawing, on a line of its own (a terminal draws the redraws over each other).
    const lines = visible(written)
      .split('\n')
      .map((line) => line.split('\r')[0]);
    assert.equal(lines.length, 4, JSON.stringify(visible(written)));
    assert.match(lines[0], /verifying backup \[.*\] 2000\/2000 entries \| [\d,]+\/s \| ETA /);
    assert.match(lines[1], /restoring \[.*\] 1000\/2000 entries \| [\d,]+\/s \| ETA /);
    assert.deepEqual(lines.slice(2), ['done', '']);
  });

  it('draws no bar under the verbose log: its redraws would garble the log', () => {
    out = outputWith({ NODE_ENV: 'development', PROGRESS_INTERVAL_MS: '0' });
    const sut = out;
    const written = stderrOf(() => sut.count('validating', 'keys')(700), { tty: true });
    assert.match(written, /^validating: 700 keys \([\d,]+ keys\/s\)\n$/);
  });
});
