import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { measure } from './child.js';
import { BenchStepError } from './figures.js';

/** A step running `node -e <script>`. */
const nodeStep = (name: string, script: string, acceptExit?: readonly number[]) => ({
  name,
  command: process.execPath,
  args: ['-e', script],
  env: {},
  cwd: process.cwd(),
  acceptExit,
});

describe('bench step runner', () => {
  it('returns the output and a positive wall time of a step that succeeds', async () => {
    const run = await measure(nodeStep('seed', 'process.stdout.write("seconds=1.5")'));
    assert.equal(run.output, 'seconds=1.5');
    assert.ok(run.seconds > 0 && Number.isFinite(run.seconds));
  });

  it('fails a step whose child exits 1, naming the step, unless the step accepts 1', async () => {
    await assert.rejects(
      measure(nodeStep('reference pipeline', 'process.exit(1)')),
      (error: unknown) =>
        error instanceof BenchStepError &&
        error.message === 'reference pipeline failed: exited with 1',
    );
    const accepted = await measure(nodeStep('project migration', 'process.exit(1)', [0, 1]));
    assert.equal(accepted.output, '');
  });

  it('fails a step whose child is killed, and one whose command cannot start', async () => {
    await assert.rejects(
      measure(nodeStep('schema', 'process.kill(process.pid, "SIGKILL")', [0, 1])),
      { name: 'BenchStepError', message: 'schema failed: killed by SIGKILL' },
    );
    await assert.rejects(measure({ ...nodeStep('seed', ''), command: '/nonexistent/redis-cli' }), {
      name: 'BenchStepError',
      message: /^seed failed: could not start \/nonexistent\/redis-cli/,
    });
  });
});
