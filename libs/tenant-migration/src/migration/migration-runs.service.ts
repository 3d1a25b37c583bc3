import { Injectable } from '@nestjs/common';
import { InvalidOptionError, MigrationRunNotFoundError } from '../errors/index.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { MigrationExceptionEntity } from './migration-exception.entity.js';
import type { MigrationRunEntity } from './migration-run.entity.js';
import { MigrationRunRepository, type ExceptionRowFilter } from './migration-run.repository.js';
import type { ExceptionBucket } from './migration.types.js';
import { quarantineName } from './tenant-merge.sql.js';

/**
 * Which of a run's quarantined keys to read. `subdomain` is a tenant's name as typed: it finds
 * the keys `<the run's prefix><subdomain>` whatever their case (`myshop` finds `MyShop`), as the
 * migration maps both to one tenant. `reason` is a reason code one of the key's reasons has.
 */
export interface ExceptionFilters {
  bucket?: ExceptionBucket;
  reason?: string;
  subdomain?: string;
}

/** One page of a run's quarantine. */
export interface ExceptionPage extends ExceptionFilters {
  limit: number;
  offset: number;
}

/**
 * A quarantined key as the admin API and the export show it. `key` is the name the quarantine
 * keeps: a UTF-8 name as it is with each backslash doubled, a name that is not UTF-8 with each
 * byte it cannot show as `\xNN`. The first bytes of the value travel as base64 (raw bytes, maybe
 * not UTF-8); the sha256 and size cover the whole value.
 */
export interface QuarantinedKey {
  id: string;
  runId: string;
  key: string;
  bucket: ExceptionBucket;
  reasons: OutcomeReason[];
  valueSha256: string | null;
  valueSize: number | null;
  createdAt: Date;
  valuePrefixBase64: string | null;
}

/** A page of the quarantine with the number of keys that match its filters. */
export interface QuarantinePage {
  limit: number;
  offset: number;
  total: number;
  exceptions: QuarantinedKey[];
}

/** Rows an export reads per query. */
export const EXPORT_PAGE_ROWS = 1000;
const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_REASON_LENGTH = 64;
const REASON_CODE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const kind = (value: unknown): string =>
  Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;

/**
 * Why a filter's value is refused, or null when it is fine: one wording for the API's 400 and
 * the CLI's exit 2.
 */
export const exceptionFilterProblem = (
  name: 'reason' | 'subdomain',
  value: unknown,
): string | null => {
  if (typeof value !== 'string') return `${name} must be a string, not ${kind(value)}`;
  if (name === 'reason') {
    return value.length <= MAX_REASON_LENGTH && REASON_CODE.test(value)
      ? null
      : `reason must be a reason code (lower-case words joined by hyphens, at most ${MAX_REASON_LENGTH} characters, e.g. invalid-json)`;
  }
  return value.length >= 1 && value.length <= MAX_SUBDOMAIN_LENGTH
    ? null
    : `subdomain must be 1-${MAX_SUBDOMAIN_LENGTH} characters (it has ${value.length})`;
};

/** The entity as the API answers it. */
export const quarantinedKeyOf = (row: MigrationExceptionEntity): QuarantinedKey => ({
  id: row.id,
  runId: row.runId,
  key: row.key,
  bucket: row.bucket,
  reasons: row.reasons,
  valueSha256: row.valueSha256,
  valueSize: row.valueSize,
  createdAt: row.createdAt,
  valuePrefixBase64: row.valuePrefix?.toString('base64') ?? null,
});

/**
 * A run as the admin API and the CLI show it: without its checkpoint's fingerprint secret, which
 * keys the fingerprints of the keys a resumed run passes over (whoever knew it could name keys
 * that the run would take for ones it had already accounted for).
 */
export const shownRun = (run: MigrationRunEntity): MigrationRunEntity => {
  if (!run.checkpoint || run.checkpoint.secret === undefined) return run;
  const { secret: _secret, ...checkpoint } = run.checkpoint;
  return { ...run, checkpoint };
};

/**
 * The read side of the run ledger, as the admin API and the CLI show it: the newest runs, one
 * run, a page of its quarantine and its export. An unknown run is an error, never an empty
 * answer that would look like a clean run.
 */
@Injectable()
export class MigrationRunsService {
  constructor(private readonly runs: MigrationRunRepository) {}

  /** The newest `limit` runs, newest first, as they are shown (see `shownRun`). */
  async latest(limit: number): Promise<MigrationRunEntity[]> {
    return (await this.runs.latest(limit)).map(shownRun);
  }

  /** The run `id` as it is shown; `MigrationRunNotFoundError` when there is none. */
  async get(id: string): Promise<MigrationRunEntity> {
    return shownRun(await this.find(id));
  }

  private async find(id: string): Promise<MigrationRunEntity> {
    const run = await this.runs.findById(id);
    if (!run) throw new MigrationRunNotFoundError(`no migration run ${id}`, { runId: id });
    return run;
  }

  /** A page of the run's quarantined keys, in the order they were recorded. */
  async exceptions(id: string, page: ExceptionPage): Promise<MigrationExceptionEntity[]> {
    const run = await this.find(id);
    return this.runs.exceptionPage(id, this.rowFilter(run, page), page.limit, page.offset);
  }

  /** A page of the run's quarantined keys that match the filters, with how many match. */
  async exceptionPage(id: string, page: ExceptionPage): Promise<QuarantinePage> {
    const run = await this.find(id);
    const filter = this.rowFilter(run, page);
    const [rows, total] = await Promise.all([
      this.runs.exceptionPage(id, filter, page.limit, page.offset),
      this.runs.countExceptions(id, filter),
    ]);
    return {
      limit: page.limit,
      offset: page.offset,
      total,
      exceptions: rows.map(quarantinedKeyOf),
    };
  }

  /**
   * The run's quarantined keys that match the filters as NDJSON, one line (`\n`-terminated)
   * per key, in the order they were recorded: the page's rows, JSON-encoded, so no raw byte
   * from Redis reaches the output. The run is looked up before this resolves (an unknown one
   * rejects, before anything is written); the lines are then read `EXPORT_PAGE_ROWS` at a time.
   */
  async exportExceptions(
    id: string,
    filters: ExceptionFilters = {},
  ): Promise<AsyncIterable<string>> {
    const run = await this.find(id);
    const filter = this.rowFilter(run, filters);
    const runs = this.runs;
    async function* lines(): AsyncGenerator<string> {
      for (let after = '0'; ;) {
        const rows = await runs.exceptionsAfter(id, filter, after, EXPORT_PAGE_ROWS);
        for (const row of rows) yield `${JSON.stringify(quarantinedKeyOf(row))}\n`;
        if (rows.length < EXPORT_PAGE_ROWS) return;
        after = rows[rows.length - 1].id;
      }
    }
    return lines();
  }

  /**
   * The repository's filter for the caller's: a subdomain becomes the run's key for it, spelled
   * as the quarantine spells names (backslashes doubled), compared in lower case.
   */
  private rowFilter(run: MigrationRunEntity, filters: ExceptionFilters): ExceptionRowFilter {
    for (const name of ['reason', 'subdomain'] as const) {
      const problem =
        filters[name] === undefined ? null : exceptionFilterProblem(name, filters[name]);
      if (problem) throw new InvalidOptionError(problem, { [name]: filters[name] });
    }
    const filter: ExceptionRowFilter = {};
    if (filters.bucket) filter.bucket = filters.bucket;
    if (filters.reason !== undefined) filter.reasonCode = filters.reason;
    if (filters.subdomain !== undefined) {
      filter.keyCaseless = {
        prefix: quarantineName({ key: run.options.prefix }),
        key: quarantineName({ key: `${run.options.prefix}${filters.subdomain}` }),
      };
    }
    return filter;
  }
}
