import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidOptionError,
  MigrationLockedError,
  OperationConflictError,
  OperationNotFoundError,
  OperationStateError,
  OperationStoppedError,
  StoreUnavailableError,
} from '#tenant-migration';
import {
  asksForJson,
  describeExitCode,
  describeFailure,
  ExitCode,
  failureDocument,
} from './exit-codes.js';
import { StoppedBySignalError } from './stopped-by-signal.error.js';

const IOREDIS_RETRIES =
  'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.';

describe('describeFailure', () => {
  it("says a Redis outage once, in the operator's terms (no ioredis option names)", () => {
    const cause = new Error(IOREDIS_RETRIES);
    // As the keyspace reader builds it: its message already carries the cause.
    const error = new StoreUnavailableError(
      'Redis is unavailable: no answer after 20 reconnection attempts',
      {},
      { cause },
    );
    const { exitCode, line } = describeFailure(error);
    assert.equal(exitCode, ExitCode.CouldNotRun);
    assert.equal(line, 'Redis is unavailable: no answer after 20 reconnection attempts');
    assert.doesNotMatch(line, /maxRetriesPerRequest|Refer to/);
  });

  it('adds the cause when the message does not give it', () => {
    const error = new StoreUnavailableError(
      'cannot reach Redis at redis://127.0.0.1:6390',
      {},
      { cause: new Error(IOREDIS_RETRIES) },
    );
    assert.equal(
      describeFailure(error).line,
      'cannot reach Redis at redis://127.0.0.1:6390: no answer after 20 reconnection attempts',
    );
    const refused = new StoreUnavailableError(
      'cannot reach Redis at redis://127.0.0.1:6390',
      {},
      { cause: new Error('connect ECONNREFUSED 127.0.0.1:6390') },
    );
    assert.equal(
      describeFailure(refused).line,
      'cannot reach Redis at redis://127.0.0.1:6390: connect ECONNREFUSED 127.0.0.1:6390',
    );
  });
});

describe('the exit code and the code of each failure', () => {
  const id = '5f0c2a7e-7d1b-4c59-9a43-3b8e2f1d6c10';

  it('an unknown operation and a refused control request are usage errors; a held scope or lock could not run', () => {
    const cases: [error: Error, exitCode: number, code: string][] = [
      [new OperationNotFoundError(`no operation ${id}`), ExitCode.Usage, 'operation-not-found'],
      [new OperationStateError('it cannot be paused'), ExitCode.Usage, 'operation-state'],
      [new OperationConflictError('held', id), ExitCode.CouldNotRun, 'operation-conflict'],
      [new MigrationLockedError('locked'), ExitCode.CouldNotRun, 'migration-locked'],
      [new InvalidOptionError('bad'), ExitCode.Usage, 'invalid-option'],
      [new Error('boom'), ExitCode.CouldNotRun, 'internal'],
    ];
    for (const [error, exitCode, code] of cases) {
      const failure = describeFailure(error);
      assert.equal(failure.exitCode, exitCode, error.message);
      assert.equal(failure.code, code, error.message);
    }
  });

  it('the JSON document carries the code, the line, the exit code and the extension members', () => {
    const failure = describeFailure(new OperationConflictError('cannot start migrate', id));
    assert.deepEqual(failureDocument(failure), {
      error: {
        code: 'operation-conflict',
        message: 'cannot start migrate',
        exitCode: 3,
        operationId: id,
      },
    });
  });

  it('a stop on a signal exits 128 + its number with the engine error code', () => {
    const stopped = new OperationStoppedError('shutdown');
    for (const [signal, exitCode] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const failure = describeFailure(
        new StoppedBySignalError(signal, `stopped on ${signal}`, stopped, { signal }),
      );
      assert.deepEqual(failure, {
        exitCode,
        line: `stopped on ${signal}`,
        code: 'operation-stopped',
        members: { signal },
      });
      assert.equal(describeExitCode(exitCode), `stopped by ${signal}`);
    }
  });

  it('asks for JSON only with --json before a `--`', () => {
    assert.equal(asksForJson(['operations', 'list', '--json']), true);
    assert.equal(asksForJson(['migrate']), false);
    assert.equal(asksForJson(['migrate', '--', '--json']), false);
  });
});
