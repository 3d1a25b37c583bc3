import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError, MigrationRunNotFoundError } from '../errors/index.js';
import type { MigrationExceptionEntity } from './migration-exception.entity.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import type { ExceptionRowFilter, MigrationRunRepository } from './migration-run.repository.js';
import { EXPORT_PAGE_ROWS, MigrationRunsService } from './migration-runs.service.js';

const RUN = 'run-1';
const PREFIX = 'tenant:';

const rowOf = (id: number): MigrationExceptionEntity => ({
  id: String(id),
  runId: RUN,
  key: `${PREFIX}key-${id}`,
  bucket: id % 2 === 0 ? 'rejected' : 'skipped',
  reasons: [{ code: 'invalid-json', message: 'the value is not JSON' }],
  valuePrefix: id === 1 ? Buffer.from([0xff, 0x00, 0x1b]) : null,
  valueSha256: id === 1 ? 'ab'.repeat(32) : null,
  valueSize: id === 1 ? 3 : null,
  createdAt: new Date(Date.UTC(2026, 0, 1)),
});

type Methods = 'findById' | 'exceptionPage' | 'countExceptions' | 'exceptionsAfter';

/** The ledger in memory: one run, its quarantine rows, and every filter and keyset it was asked. */
class FakeRuns implements Pick<MigrationRunRepository, Methods> {
  readonly filters: ExceptionRowFilter[] = [];
  readonly afters: string[] = [];

  constructor(private readonly rows: MigrationExceptionEntity[]) {}

  findById(id: string): Promise<MigrationRunEntity | null> {
    const run = { id, options: { prefix: PREFIX, batchSize: 10, conflictPolicy: 'skip' } };
    return Promise.resolve(id === RUN ? (run as MigrationRunEntity) : null);
  }

  exceptionPage(
    _runId: string,
    filter: ExceptionRowFilter,
    limit: number,
    offset: number,
  ): Promise<MigrationExceptionEntity[]> {
    this.filters.push(filter);
    return Promise.resolve(this.rows.slice(offset, offset + limit));
  }

  countExceptions(_runId: string, filter: ExceptionRowFilter): Promise<number> {
    this.filters.push(filter);
    return Promise.resolve(this.rows.length);
  }

  exceptionsAfter(
    _runId: string,
    filter: ExceptionRowFilter,
    afterId: string,
    limit: number,
  ): Promise<MigrationExceptionEntity[]> {
    this.filters.push(filter);
    this.afters.push(afterId);
    return Promise.resolve(this.rows.filter((r) => Number(r.id) > Number(afterId)).slice(0, limit));
  }
}

const serviceOf = (runs: FakeRuns) =>
  new MigrationRunsService(runs as unknown as MigrationRunRepository);
const rows = (n: number) => Array.from({ length: n }, (_, i) => rowOf(i + 1));
const collect = async (lines: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
};

describe('MigrationRunsService: the quarantine', () => {
  it('a page has the total, the page members and the rows with their prefix as base64', async () => {
    const runs = new FakeRuns(rows(5));
    const page = await serviceOf(runs).exceptionPage(RUN, { limit: 2, offset: 0 });
    assert.equal(page.total, 5);
    assert.deepEqual([page.limit, page.offset], [2, 0]);
    assert.deepEqual(page.exceptions[0], {
      id: '1',
      runId: RUN,
      key: 'tenant:key-1',
      bucket: 'skipped',
      reasons: [{ code: 'invalid-json', message: 'the value is not JSON' }],
      valueSha256: 'ab'.repeat(32),
      valueSize: 3,
      createdAt: new Date(Date.UTC(2026, 0, 1)),
      valuePrefixBase64: Buffer.from([0xff, 0x00, 0x1b]).toString('base64'),
    });
    assert.equal(page.exceptions[1].valuePrefixBase64, null);
    assert.deepEqual(runs.filters, [{}, {}], 'the page and the count read the same rows');
  });

  it("a subdomain is the run's key for it, spelled as the quarantine spells names", async () => {
    const runs = new FakeRuns([]);
    const service = serviceOf(runs);
    await service.exceptionPage(RUN, {
      limit: 1,
      offset: 0,
      subdomain: 'My\\Shop',
      reason: 'invalid-json',
      bucket: 'rejected',
    });
    assert.deepEqual(runs.filters[0], {
      bucket: 'rejected',
      reasonCode: 'invalid-json',
      keyCaseless: { prefix: PREFIX, key: 'tenant:My\\\\Shop' },
    });
  });

  it('refuses a filter that is not a reason code or a subdomain, naming it', async () => {
    const service = serviceOf(new FakeRuns([]));
    for (const [filters, message] of [
      [{ reason: 'Invalid JSON' }, /^reason must be a reason code/],
      [{ reason: `a${'-b'.repeat(40)}` }, /^reason must be a reason code/],
      [{ subdomain: '' }, /^subdomain must be 1-253 characters \(it has 0\)$/],
      [{ subdomain: ['a'] as unknown as string }, /^subdomain must be a string, not an array$/],
    ] as const) {
      await assert.rejects(service.exportExceptions(RUN, filters), (error: unknown) => {
        assert.ok(error instanceof InvalidOptionError);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('an unknown run is an error before any line, for the page and the export', async () => {
    const service = serviceOf(new FakeRuns(rows(3)));
    await assert.rejects(service.exportExceptions('nope'), MigrationRunNotFoundError);
    await assert.rejects(
      service.exceptionPage('nope', { limit: 1, offset: 0 }),
      MigrationRunNotFoundError,
    );
  });

  it('the export reads keyset pages in id order and writes one JSON line per row', async () => {
    const count = EXPORT_PAGE_ROWS * 2 + 5;
    const runs = new FakeRuns(rows(count));
    const lines = await collect(
      await serviceOf(runs).exportExceptions(RUN, { bucket: 'rejected' }),
    );
    assert.equal(lines.length, count);
    assert.ok(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
    const parsed = lines.map((line) => JSON.parse(line) as { id: string; createdAt: string });
    assert.deepEqual(
      parsed.map((row) => row.id),
      rows(count).map((row) => row.id),
    );
    assert.equal(parsed[0].createdAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(runs.afters, ['0', String(EXPORT_PAGE_ROWS), String(EXPORT_PAGE_ROWS * 2)]);
    assert.ok(runs.filters.every((filter) => filter.bucket === 'rejected'));
  });

  it('a full last page costs one more, empty, query; an empty quarantine writes nothing', async () => {
    const runs = new FakeRuns(rows(EXPORT_PAGE_ROWS));
    assert.equal(
      (await collect(await serviceOf(runs).exportExceptions(RUN))).length,
      EXPORT_PAGE_ROWS,
    );
    assert.deepEqual(runs.afters, ['0', String(EXPORT_PAGE_ROWS)]);
    assert.deepEqual(await collect(await serviceOf(new FakeRuns([])).exportExceptions(RUN)), []);
  });
});
