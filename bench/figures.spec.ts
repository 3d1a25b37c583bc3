import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BenchStepError,
  exitAccepted,
  exitReason,
  inRunOrder,
  parseOutput,
  parseRuns,
  positiveFigure,
  ratio,
  referenceSeconds,
  runOrder,
} from './figures.js';

const failsAt = (step: string, reason: RegExp) => (error: unknown) =>
  error instanceof BenchStepError && error.step === step && reason.test(error.reason);

describe('bench figures', () => {
  describe('ratio', () => {
    it('divides the project time by the reference time', () => {
      assert.equal(ratio(3, 2, 'project migration'), 1.5);
    });

    it('refuses a NaN, infinite, zero or negative figure, naming the step', () => {
      for (const [project, reference] of [
        [3, NaN],
        [NaN, 2],
        [3, 0],
        [3, -1],
        [Infinity, 2],
        [3, Infinity],
        [0, 2],
      ]) {
        assert.throws(
          () => ratio(project, reference, 'project migration'),
          failsAt('project migration', /is (NaN|Infinity|0|-1), not a positive number/),
          `${project} / ${reference}`,
        );
      }
    });

    it('positiveFigure passes a positive number through', () => {
      assert.equal(positiveFigure(0.25, 'x', 'y'), 0.25);
    });
  });

  describe('referenceSeconds', () => {
    it("reads the reference pipeline's seconds= figure", () => {
      const line = 'reference mode=upsert rows=2000 seconds=0.42 rows_per_s=4762 peak_rss_mb=80\n';
      assert.equal(referenceSeconds(line), 0.42);
    });

    it('refuses output without the figure (a reference that crashed before printing)', () => {
      assert.throws(
        () => referenceSeconds(''),
        failsAt('reference pipeline', /no seconds= figure/),
      );
      assert.throws(
        () => referenceSeconds('reference rows=0 seconds=0.00'),
        failsAt('reference pipeline', /its time is 0/),
      );
    });
  });

  describe('run order', () => {
    it('runs the project first on odd runs and the reference first on even runs', () => {
      assert.deepEqual([1, 2, 3, 4, 5].map(runOrder), [
        'project-first',
        'reference-first',
        'project-first',
        'reference-first',
        'project-first',
      ]);
    });

    it('refuses a run number below 1 or not whole', () => {
      for (const run of [0, -1, 1.5, NaN]) assert.throws(() => runOrder(run), RangeError);
    });

    it('inRunOrder calls the two in that order and returns both results by name', async () => {
      for (const [run, expected] of [
        [1, ['project', 'reference']],
        [2, ['reference', 'project']],
        [3, ['project', 'reference']],
      ] as const) {
        const calls: string[] = [];
        const result = await inRunOrder(
          run,
          () => {
            calls.push('project');
            return Promise.resolve('p');
          },
          () => {
            calls.push('reference');
            return Promise.resolve('r');
          },
        );
        assert.deepEqual(calls, expected, `run ${run}`);
        assert.deepEqual(result, { project: 'p', reference: 'r' });
      }
    });

    it('inRunOrder stops at the first failure: the second pipeline does not run', async () => {
      let referenceRan = false;
      await assert.rejects(
        inRunOrder(
          1,
          () => Promise.reject(new BenchStepError('project migration', 'exited with 3')),
          () => {
            referenceRan = true;
            return Promise.resolve(0);
          },
        ),
        failsAt('project migration', /exited with 3/),
      );
      assert.equal(referenceRan, false);
    });
  });

  describe('child exits', () => {
    it('accepts only the listed codes of a child that exited by itself', () => {
      assert.equal(exitAccepted(0, null, [0]), true);
      assert.equal(exitAccepted(1, null, [0]), false);
      assert.equal(exitAccepted(1, null, [0, 1]), true);
      assert.equal(exitAccepted(2, null, [0, 1]), false);
      assert.equal(exitAccepted(null, 'SIGKILL', [0, 1]), false);
    });

    it('says why in a few words', () => {
      assert.equal(exitReason(1, null), 'exited with 1');
      assert.equal(exitReason(null, 'SIGKILL'), 'killed by SIGKILL');
    });
  });

  describe('parseOutput and parseRuns', () => {
    it('parses JSON output, and names the step when it is not JSON', () => {
      assert.deepEqual(parseOutput('{"ok":true}', 'backup'), { ok: true });
      assert.throws(() => parseOutput('', 'backup'), failsAt('backup', /not JSON/));
    });

    it('--runs takes a whole number from 1', () => {
      assert.equal(parseRuns('1'), 1);
      assert.equal(parseRuns('4'), 4);
      for (const text of ['0', '-1', '1.5', 'two', '', '1e3'])
        assert.throws(() => parseRuns(text), RangeError, text);
    });
  });
});
