import { Injectable } from '@nestjs/common';
import { ReportService } from '../integrity/report.service.js';
import { type MigrationStats } from '../integrity/report.types.js';

/** The original system's `MigrationUtils`, as an injectable service over the report. */
@Injectable()
export class MigrationUtils {
  constructor(private readonly reports: ReportService) {}

  /** Counts in both stores, by source format, the last runs, success rate and backups. */
  getMigrationStats(): Promise<MigrationStats> {
    return this.reports.stats();
  }
}
