import { Inject, Injectable } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { MigrationRunRepository } from '../migration/migration-run.repository.js';
import { BackupService } from '../backup/backup.service.js';
import { IntegrityService } from './integrity.service.js';
import { TenantStatsRepository } from './tenant-stats.repository.js';
import { prepareFolder, writeComplete } from './report-files.js';
import { toMarkdown } from './report-markdown.js';
import type { MigrationReport, MigrationStats, WrittenReport } from './report.types.js';

/** Kept here for the importers of the report's shapes and renderer. */

/** How many recent runs and backups the stats show. */
const RECENT = 5;

/** Counts and history at a glance (`stats`), and the full report with an integrity check. */
@Injectable()
export class ReportService {
  /** Each dependency is typed by the part this service uses (unit specs pass small fakes). */
  constructor(
    @Inject(RESOLVED_OPTIONS)
    private readonly options: Pick<ResolvedTenantMigrationOptions, 'keyPrefix'>,
    @Inject(RedisKeyspaceReader) private readonly reader: Pick<RedisKeyspaceReader, 'keys'>,
    @Inject(TenantStatsRepository) private readonly tenants: Pick<TenantStatsRepository, 'counts'>,
    @Inject(MigrationRunRepository) private readonly runs: Pick<MigrationRunRepository, 'latest'>,
    @Inject(BackupService) private readonly backups: Pick<BackupService, 'list'>,
    @Inject(IntegrityService) private readonly integrity: Pick<IntegrityService, 'check'>,
  ) {}

  async stats(): Promise<MigrationStats> {
    let redisKeys = 0;
    for await (const keys of this.reader.keys(this.options.keyPrefix, 1000))
      redisKeys += keys.length;
    return this.statsWith(redisKeys);
  }

  /** The stats, given the keyspace's key count (SCAN count). */
  private async statsWith(redisKeys: number): Promise<MigrationStats> {
    const counts = await this.tenants.counts();
    const lastRuns = (await this.runs.latest(RECENT)).map((r) => ({
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
      postgresTenants: counts.total,
      bySourceFormat: { legacy: counts.legacy, enhanced: counts.enhanced, app: counts.app },
      incompleteProfiles: counts.incomplete,
      cleanedUpFromRedis: counts.cleanedUp,
      pendingWriteBacks: counts.pendingWriteBacks,
      lastRuns,
      successRate:
        completed && completed.counts.scanned > 0
          ? (completed.counts.migrated + completed.counts.unchanged) / completed.counts.scanned
          : null,
      lastRejectedByReason: completed?.counts.rejectedByReason ?? {},
      backups: await this.backups.list(RECENT),
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
