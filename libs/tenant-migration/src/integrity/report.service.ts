import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { MigrationRunRepository } from '../migration/migration-run.repository.js';
import { BackupService } from '../backup/backup.service.js';
import type { BackupSummary } from '../backup/backup.types.js';
import type { MigrationCounts, MigrationRunStatus } from '../migration/migration.types.js';
import { InvalidOptionError } from '../errors/index.js';
import { errnoOf, folderProblemOf, isDiskFull } from '../common/file-errors.js';
import { IntegrityService } from './integrity.service.js';
import type { IntegrityReport } from './integrity.types.js';
import { errorMessage } from '../common/error-message.js';

/**
 * Creates the report folder if needed and checks that it can be written, before the report is
 * made: a folder that cannot be used is found at once, not after a full integrity check, and
 * said plainly (not as `EEXIST: file already exists, mkdir`).
 */
const prepareFolder = async (folder: string): Promise<void> => {
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
  } catch (error) {
    const problem = folderProblemOf(error);
    if (problem)
      throw new InvalidOptionError(`cannot write the report into ${folder}: it ${problem}`, {
        folder,
        code: errnoOf(error),
      });
    throw error;
  }
};

/** Writes `text` under `<path>.partial`, then gives it its name: a full disk leaves no partial report behind. */
const writeComplete = async (path: string, text: string): Promise<void> => {
  const partial = `${path}.partial`;
  try {
    await writeFile(partial, text);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    if (isDiskFull(error))
      throw new Error(`the disk is full: could not write the report ${path} (${errnoOf(error)})`, {
        cause: error,
      });
    throw new Error(`could not write the report ${path}: ${errorMessage(error)}`, { cause: error });
  }
};

export interface MigrationStats {
  at: string;
  prefix: string;
  /** Keys under the prefix right now (SCAN count; a key SCAN repeats may count twice). */
  redisKeys: number;
  postgresTenants: number;
  bySourceFormat: { legacy: number; enhanced: number; app: number };
  incompleteProfiles: number;
  cleanedUpFromRedis: number;
  /** Tenants whose Redis write-back failed and waits for `sync --pending`. */
  pendingWriteBacks: number;
  lastRuns: {
    id: string;
    status: MigrationRunStatus;
    startedAt: Date;
    finishedAt: Date | null;
    counts: MigrationCounts;
  }[];
  /** Of the last completed run: (migrated + unchanged) / scanned. Null without a completed run. */
  successRate: number | null;
  /** Why keys were rejected in the last completed run (the validation summary). */
  lastRejectedByReason: Record<string, number>;
  backups: BackupSummary[];
}

export interface MigrationReport {
  stats: MigrationStats;
  integrity: IntegrityReport;
}

export interface WrittenReport {
  report: MigrationReport;
  jsonPath: string;
  markdownPath: string;
}

/** Counts and history at a glance (`stats`), and the full report with an integrity check. */
@Injectable()
export class ReportService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
    private readonly reader: RedisKeyspaceReader,
    private readonly runs: MigrationRunRepository,
    private readonly backups: BackupService,
    private readonly integrity: IntegrityService,
  ) {}

  async stats(): Promise<MigrationStats> {
    let redisKeys = 0;
    for await (const keys of this.reader.keys(this.options.keyPrefix, 1000))
      redisKeys += keys.length;
    return this.statsWith(redisKeys);
  }

  /** The stats, given the keyspace's key count (SCAN count). */
  private async statsWith(redisKeys: number): Promise<MigrationStats> {
    const { tenants, redisCleanups, redisWriteBacks } = this.options.tables;
    const [row] = (await this.dataSource.query(`
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE source_format = 'legacy')::int AS legacy,
             count(*) FILTER (WHERE source_format = 'enhanced')::int AS enhanced,
             count(*) FILTER (WHERE source_format = 'app')::int AS app,
             count(*) FILTER (WHERE NOT profile_complete)::int AS incomplete,
             (SELECT count(DISTINCT subdomain) FROM ${redisCleanups})::int AS cleaned,
             (SELECT count(*) FROM ${redisWriteBacks})::int AS pending
        FROM ${tenants}`)) as {
      total: number;
      legacy: number;
      enhanced: number;
      app: number;
      incomplete: number;
      cleaned: number;
      pending: number;
    }[];
    const lastRuns = (await this.runs.latest(5)).map((r) => ({
      id: r.id,
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      counts: r.counts,
    }));
    const completed = lastRuns.find((r) => r.status === 'completed');
    return {
      at: new Date().toISOString(),
      prefix: this.options.keyPrefix,
      redisKeys,
      postgresTenants: row.total,
      bySourceFormat: { legacy: row.legacy, enhanced: row.enhanced, app: row.app },
      incompleteProfiles: row.incomplete,
      cleanedUpFromRedis: row.cleaned,
      pendingWriteBacks: row.pending,
      lastRuns,
      successRate:
        completed && completed.counts.scanned > 0
          ? (completed.counts.migrated + completed.counts.unchanged) / completed.counts.scanned
          : null,
      lastRejectedByReason: completed?.counts.rejectedByReason ?? {},
      backups: await this.backups.list(5),
    };
  }

  /** Stats plus a full integrity check (the first `limit` differences listed). */
  async report(limit = 100): Promise<MigrationReport> {
    const integrity = await this.integrity.check({ limit });
    // The check has just scanned the whole keyspace: its SCAN count is the stats' key count.
    return { stats: await this.statsWith(integrity.redisKeys), integrity };
  }

  /**
   * Writes the report as JSON and as readable Markdown into `dir` (complete files only). A folder
   * that cannot be written is an InvalidOptionError, found before the report is made; a full
   * disk is an error that says so, and leaves no partial file.
   */
  async write(dir: string, limit = 100): Promise<WrittenReport> {
    const folder = resolve(dir);
    await prepareFolder(folder);
    const report = await this.report(limit);
    const stamp = report.stats.at.replace(/[:.]/g, '-');
    const jsonPath = join(folder, `report-${stamp}.json`);
    const markdownPath = join(folder, `report-${stamp}.md`);
    for (const [path, text] of [
      [jsonPath, `${JSON.stringify(report, null, 2)}\n`],
      [markdownPath, toMarkdown(report)],
    ] as const) {
      await writeComplete(path, text);
    }
    return { report, jsonPath, markdownPath };
  }
}

const cell = (value: unknown): string =>
  String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** The report for people: summary tables, then the listed differences. */
export const toMarkdown = ({ stats, integrity }: MigrationReport): string => {
  const lines = [
    `# Tenant migration report`,
    '',
    `Generated ${stats.at} for key prefix \`${stats.prefix}\`.`,
    '',
    '## Stores',
    '',
    '| | Count |',
    '|---|---:|',
    `| Redis keys | ${stats.redisKeys} |`,
    `| PostgreSQL tenants | ${stats.postgresTenants} |`,
    `| ... from legacy records | ${stats.bySourceFormat.legacy} |`,
    `| ... from enhanced records | ${stats.bySourceFormat.enhanced} |`,
    `| ... created in PostgreSQL | ${stats.bySourceFormat.app} |`,
    `| ... with an incomplete profile | ${stats.incompleteProfiles} |`,
    `| Cleaned up from Redis | ${stats.cleanedUpFromRedis} |`,
    `| Redis write-backs pending | ${stats.pendingWriteBacks} |`,
    '',
    '## Integrity',
    '',
    integrity.consistent ? 'Redis and PostgreSQL agree.' : '**Drift found.**',
    '',
    '| | Count |',
    '|---|---:|',
    `| Matching | ${integrity.matching} |`,
    `| Only in Redis | ${integrity.onlyInRedis} |`,
    `| Only in PostgreSQL | ${integrity.onlyInPostgres} |`,
    `| Different | ${integrity.different} |`,
    `| Invalid records in Redis | ${integrity.invalid} |`,
    '',
  ];
  if (integrity.drift.length > 0) {
    lines.push(
      `### Differences${integrity.truncated ? ` (first ${integrity.drift.length})` : ''}`,
      '',
      '| Kind | Subdomain | Fields (Redis / PostgreSQL) |',
      '|---|---|---|',
    );
    for (const d of integrity.drift) {
      const fields = (d.fields ?? [])
        .map((f) => `${f.field}: ${JSON.stringify(f.redis)} / ${JSON.stringify(f.postgres)}`)
        .join('; ');
      lines.push(`| ${d.kind} | ${cell(d.subdomain)} | ${cell(fields)} |`);
    }
    lines.push('');
  }
  lines.push(
    '## Recent migration runs',
    '',
    '| Run | Status | Started | Scanned | Migrated | Unchanged | Skipped | Rejected | Conflicts |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of stats.lastRuns) {
    const c = r.counts;
    lines.push(
      `| ${r.id} | ${r.status} | ${new Date(r.startedAt).toISOString()} | ${c.scanned} | ${c.migrated} | ${c.unchanged} | ${c.skipped} | ${c.rejected} | ${c.conflicts} |`,
    );
  }
  lines.push(
    '',
    `Success rate of the last completed run: ${stats.successRate === null ? 'n/a' : `${(stats.successRate * 100).toFixed(2)}%`}.`,
    '',
  );
  const reasons = Object.entries(stats.lastRejectedByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) {
    lines.push(
      '## Validation (last completed run)',
      '',
      '| Reason | Keys |',
      '|---|---:|',
      ...reasons.map(([code, n]) => `| ${code} | ${n} |`),
      '',
    );
  }
  lines.push(
    '## Backups',
    '',
    '| Backup | Kind | Created | Entries | Verified |',
    '|---|---|---|---:|---|',
  );
  for (const b of stats.backups) {
    lines.push(
      `| ${b.id} | ${b.kind} | ${new Date(b.createdAt).toISOString()} | ${b.entryCount} | ${b.verifiedAt ? new Date(b.verifiedAt).toISOString() : 'no'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
};
