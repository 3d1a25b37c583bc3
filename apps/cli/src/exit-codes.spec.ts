import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreUnavailableError } from '#tenant-migration';
import { describeFailure, ExitCode } from './exit-codes.js';

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
    const { code, line } = describeFailure(error);
    assert.equal(code, ExitCode.CouldNotRun);
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
