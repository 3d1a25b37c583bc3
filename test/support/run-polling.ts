/** Waits for a migration run started through an HTTP API to finish, with a bounded wait. */
import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { bodyOf, type RunBody } from './body.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `fetchRun` (a `GET .../runs/:id`) every `intervalMs` until the run is no longer
 * `running`, and returns it; fails the test if it is still running after `timeoutMs`, so a
 * caller always asserts on a settled run.
 */
export const settledRun = async <T extends RunBody = RunBody>(
  fetchRun: () => Promise<Response>,
  label: string,
  { timeoutMs = 30_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetchRun();
    assert.equal(res.status, 200, `${label}: ${res.status} ${res.text.slice(0, 300)}`);
    const run = bodyOf<T>(res);
    if (run.status !== 'running') return run;
    if (Date.now() >= deadline)
      assert.fail(`${label}: the run is still running after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
};
