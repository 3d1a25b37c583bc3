import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OperationStoppedError, throwIfStopped } from '#tenant-migration';
import { REPEAT_WINDOW_MS, type SignalHost, StopOnSignals } from './stop-signals.js';
import { type StopSignal, StoppedBySignalError } from './stopped-by-signal.error.js';

/** Signals sent by hand, a clock moved by hand, and the exits the process would have taken. */
const fakeHost = () => {
  const listeners = new Map<StopSignal, () => void>();
  const exits: { line: string; code: number }[] = [];
  let now = 1_000_000;
  const host: SignalHost = {
    on: (signal, listener) => listeners.set(signal, listener),
    now: () => now,
    exitNow: (line, code) => exits.push({ line, code }),
  };
  return {
    host,
    exits,
    send: (signal: StopSignal) => listeners.get(signal)?.(),
    wait: (ms: number) => (now += ms),
  };
};

describe('StopOnSignals', () => {
  it('the first signal aborts with the reason shutdown, once', () => {
    const { host, send } = fakeHost();
    const heard: StopSignal[] = [];
    const stops = new StopOnSignals((signal) => heard.push(signal), host);
    assert.equal(stops.signal.aborted, false);
    assert.equal(stops.stoppedBy, null);
    send('SIGTERM');
    assert.equal(stops.signal.aborted, true);
    assert.equal(stops.signal.reason, 'shutdown');
    assert.equal(stops.stoppedBy, 'SIGTERM');
    assert.deepEqual(heard, ['SIGTERM']);
  });

  it('the same signal again at once is the same request heard twice; later, or another signal, exits at once with the first code', () => {
    const { host, send, wait, exits } = fakeHost();
    new StopOnSignals(undefined, host);
    send('SIGINT');
    wait(REPEAT_WINDOW_MS - 1);
    send('SIGINT');
    assert.equal(exits.length, 0, 'a terminal and a launcher both delivered one Ctrl-C');
    wait(1);
    send('SIGINT');
    assert.equal(exits.length, 1);
    assert.equal(exits[0].code, 130);
    assert.match(
      exits[0].line,
      /^tenant-migrate: SIGINT while stopping on SIGINT: exiting at once/,
    );

    const other = fakeHost();
    new StopOnSignals(undefined, other.host);
    other.send('SIGTERM');
    other.send('SIGINT');
    assert.deepEqual(
      other.exits.map((e) => e.code),
      [143],
      'the code of the signal that asked it to stop',
    );
  });

  it("run() turns the engine's stop into StoppedBySignalError with the command's report", async () => {
    const { host, send } = fakeHost();
    const stops = new StopOnSignals(undefined, host);
    const work = stops.run(
      async (signal) => {
        await new Promise((resolve) => setImmediate(resolve));
        throwIfStopped(signal, { scanned: 40 });
        return 'finished';
      },
      (stopped, signal) => ({
        message: `stopped on ${signal} after ${String(stopped.context.scanned)} keys`,
        members: { runId: null },
      }),
    );
    send('SIGTERM');
    await assert.rejects(work, (error: unknown) => {
      assert.ok(error instanceof StoppedBySignalError);
      assert.equal(error.signal, 'SIGTERM');
      assert.equal(error.message, 'stopped on SIGTERM after 40 keys');
      assert.deepEqual(error.members, { signal: 'SIGTERM', runId: null });
      assert.ok(error.stopped instanceof OperationStoppedError);
      return true;
    });
  });

  it('run() does not start work a signal stopped first, and passes other failures and results through', async () => {
    const { host, send } = fakeHost();
    const stops = new StopOnSignals(undefined, host);
    assert.equal(
      await stops.run(
        () => Promise.resolve(7),
        () => ({ message: 'unused' }),
      ),
      7,
    );
    await assert.rejects(
      stops.run(
        () => Promise.reject(new Error('Redis went away')),
        () => ({ message: 'unused' }),
      ),
      /^Error: Redis went away$/,
    );
    send('SIGINT');
    let started = false;
    await assert.rejects(
      stops.run(
        () => {
          started = true;
          return Promise.resolve(1);
        },
        (_stopped, signal) => ({ message: `stopped on ${signal} before it began` }),
      ),
      StoppedBySignalError,
    );
    assert.equal(started, false);
  });
});
