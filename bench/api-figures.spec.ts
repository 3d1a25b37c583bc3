import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiReportLines,
  type ApiReport,
  EventStreamCounter,
  listeningUrl,
  loadOverlap,
  migrationFigures,
  parseWholeNumber,
  tenantsPerSecond,
  throughputRatio,
  verdict,
} from './api-figures.js';
import { BenchStepError } from './figures.js';

const failsAt = (step: string, reason: RegExp) => (error: unknown) =>
  error instanceof BenchStepError && error.step === step && reason.test(error.reason);

const report = (overrides: Partial<ApiReport> = {}): ApiReport => ({
  tenants: 100_000,
  batchSize: null,
  connections: 20,
  durationSeconds: 10,
  baseline: { scanned: 100_000, durationMs: 2000 },
  loaded: { scanned: 100_000, durationMs: 2500 },
  load: { requestsPerSecond: 1234.4, requests: 12_344, p50Ms: 12, p99Ms: 85, errors: 0, non2xx: 3 },
  streams: [
    { events: 7, sawResult: true },
    { events: 7, sawResult: true },
    { events: 6, sawResult: false },
  ],
  overlap: loadOverlap({ start: 0, end: 2500 }, { start: 0, end: 10_000 }),
  ...overrides,
});

describe('api bench figures', () => {
  describe('options and the app address', () => {
    it('takes whole numbers from 1 to the maximum', () => {
      assert.equal(parseWholeNumber('30', '--duration', 3600), 30);
      assert.equal(parseWholeNumber('1_000', '--connections', 1000), 1000);
      for (const text of ['0', '-1', '1.5', 'ten', '', '1e3', '1001'])
        assert.throws(
          () => parseWholeNumber(text, '--connections', 1000),
          /--connections takes a whole number from 1 to 1000/,
          text,
        );
    });

    it("reads the address of the admin app's listening line, and nothing before it", () => {
      assert.equal(listeningUrl('[Nest] 12  - starting\n'), null);
      assert.equal(
        listeningUrl('[Nest] 12  - LOG [Admin] listening on http://127.0.0.1:40123\n'),
        'http://127.0.0.1:40123',
      );
    });
  });

  describe('migration figures', () => {
    it("reads scanned and durationMs of the operation's result", () => {
      const figures = migrationFigures(
        { counts: { scanned: 500, migrated: 500 }, durationMs: 250 },
        500,
        'baseline migration',
      );
      assert.deepEqual(figures, { scanned: 500, durationMs: 250 });
      assert.equal(tenantsPerSecond(figures, 'baseline migration'), 2000);
    });

    it('refuses a result without them, another number of keys, or a zero duration', () => {
      assert.throws(
        () => migrationFigures(null, 500, 'loaded migration'),
        failsAt('loaded migration', /no counts.scanned and durationMs: null/),
      );
      assert.throws(
        () =>
          migrationFigures({ counts: { scanned: 499 }, durationMs: 9 }, 500, 'loaded migration'),
        failsAt('loaded migration', /scanned 499 keys, expected 500/),
      );
      assert.throws(
        () =>
          migrationFigures({ counts: { scanned: 500 }, durationMs: 0 }, 500, 'loaded migration'),
        failsAt('loaded migration', /its duration is 0, not a positive number/),
      );
    });
  });

  describe('ratio and verdict', () => {
    it('divides the loaded tenants/s by the baseline tenants/s', () => {
      assert.equal(throughputRatio(40_000, 50_000), 0.8);
      assert.throws(
        () => throughputRatio(40_000, 0),
        failsAt('throughput ratio', /baseline tenants\/s is 0/),
      );
      assert.throws(
        () => throughputRatio(NaN, 50_000),
        failsAt('throughput ratio', /loaded tenants\/s is NaN/),
      );
    });

    it('passes from the target on, as the ratio is printed (two decimals)', () => {
      assert.equal(verdict(0.8), 'PASS');
      assert.equal(verdict(1.3), 'PASS');
      assert.equal(verdict(0.7951), 'PASS');
      assert.equal(verdict(0.7949), 'FAIL');
      assert.equal(verdict(0.5), 'FAIL');
      assert.equal(verdict(0.69, 0.7), 'FAIL');
    });
  });

  describe('load overlap', () => {
    it('a migration that ended inside the load window', () => {
      assert.deepEqual(loadOverlap({ start: 1000, end: 4000 }, { start: 1500, end: 11_500 }), {
        migrationSeconds: 3,
        loadSeconds: 10,
        overlapSeconds: 2.5,
        migrationEndedFirst: true,
        unloadedTailSeconds: 0,
      });
    });

    it('a migration that outlasted the load window ran its tail unloaded', () => {
      assert.deepEqual(loadOverlap({ start: 0, end: 30_000 }, { start: 500, end: 10_500 }), {
        migrationSeconds: 30,
        loadSeconds: 10,
        overlapSeconds: 10,
        migrationEndedFirst: false,
        unloadedTailSeconds: 19.5,
      });
    });

    it('spans that never met overlap by nothing', () => {
      const apart = loadOverlap({ start: 0, end: 1000 }, { start: 2000, end: 3000 });
      assert.equal(apart.overlapSeconds, 0);
      assert.equal(apart.migrationEndedFirst, true);
    });
  });

  describe('event stream counter', () => {
    const stream =
      'retry: 2000\n\n' +
      'id: 1\nevent: status\ndata: {"status":"running"}\n\n' +
      ': keep-alive\n\n' +
      'id: 2\nevent: progress\ndata: {"done":10}\n\n' +
      'id: 3\nevent: result\ndata: {"status":"succeeded"}\n\n';

    it('counts events, not the retry block or comments, and remembers their types', () => {
      const counter = new EventStreamCounter();
      counter.push(stream);
      assert.equal(counter.events, 3);
      assert.deepEqual([...counter.types], ['status', 'progress', 'result']);
    });

    it('gives the same count whatever the chunks (split inside lines and blank lines)', () => {
      for (const size of [1, 2, 3, 7, 50]) {
        const counter = new EventStreamCounter();
        for (let i = 0; i < stream.length; i += size) counter.push(stream.slice(i, i + size));
        assert.equal(counter.events, 3, `chunks of ${size}`);
        assert.equal(counter.types.has('result'), true);
      }
    });

    it('takes CRLF line ends, and does not count an event the stream cut before its blank line', () => {
      const counter = new EventStreamCounter();
      counter.push('event: status\r\ndata: {}\r\n\r\nevent: result\ndata: {}\n');
      assert.equal(counter.events, 1);
      assert.equal(counter.types.has('result'), false);
    });
  });

  describe('report', () => {
    it('prints both migrations, the load, the streams, the ratio with its verdict and a note', () => {
      const lines = apiReportLines(report());
      assert.deepEqual(lines, [
        'scenario: api (admin API under load while a migration runs as an operation; 20 connections for 10 s, batch size default)',
        '   tenants  phase     migration_s  tenants/s',
        '   100,000  baseline         2.00      50,000',
        '   100,000  loaded           2.50      40,000',
        'load: 1,234 req/s mean, 12,344 requests, latency p50 12 ms, p99 85 ms, 0 errors, 3 non-2xx',
        'event streams: 3 clients, events 7 / 7 / 6; result event seen by 2 of 3',
        'loaded / baseline throughput: 0.80 (target >= 0.80): PASS',
        "note: the loaded operation ran 2.50 s (start to finish) and ended before the 10.0 s load window; the load ran beside it for 2.50 s. The ratio is from the two migrations' own durations.",
      ]);
    });

    it('says FAIL below the target, and notes a migration that outlasted the load', () => {
      const lines = apiReportLines(
        report({
          loaded: { scanned: 100_000, durationMs: 4000 },
          overlap: loadOverlap({ start: 0, end: 14_000 }, { start: 0, end: 10_000 }),
        }),
      );
      assert.ok(lines.includes('loaded / baseline throughput: 0.50 (target >= 0.80): FAIL'));
      assert.match(lines.at(-1) ?? '', /^note: the load window ended 4.00 s before the loaded/);
    });

    it('has no note when the load covered the whole migration and ended with it', () => {
      const lines = apiReportLines(
        report({ overlap: loadOverlap({ start: 0, end: 10_000 }, { start: 0, end: 10_000 }) }),
      );
      assert.equal(lines.filter((line) => line.startsWith('note:')).length, 0);
    });
  });
});
