/** Shapes of the stats and of the full report. */

import type { BackupSummary } from '../backup/backup.types.js';
import type { MigrationCounts, MigrationRunStatus } from '../migration/migration.types.js';
import type { IntegrityReport } from './integrity.types.js';

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
