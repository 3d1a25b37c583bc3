import { Injectable } from '@nestjs/common';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TableLock } from '../migration/table-lock.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { redactUrl } from '../common/redact-url.js';
import { InvalidBackupError } from '../errors/index.js';
import { scanBackupFile } from './backup-file.js';
import { BackupVerifier } from './backup-verifier.js';
import { RedisEntryRepository } from './redis-entry.repository.js';
import { RedisRestorer } from './redis-restorer.js';
import { TENANT_TABLE_COLUMNS } from '../tenants/tenant-columns.js';
import { TenantsTableRepository } from './tenants-table.repository.js';
import type { PostgresRestoreReport, RedisRestoreReport } from './backup.types.js';
import { entryCounter, type EntryProgress } from './backup-progress.js';

export interface RedisRestoreRequest {
  dryRun?: boolean;
  /** Restore into this Redis instead of the configured one. */
  targetUrl?: string;
  /** Replace keys that exist with another value (default: leave them and report them). */
  overwrite?: boolean;
  actor?: string;
  /**
   * Called every `PROGRESS_EVERY` entries of the verification that comes first, with the
   * recorded entry count as the total (null for a file no backup record names).
   */
  onVerifyProgress?: EntryProgress;
  /**
   * Called with 0 once the file is verified and the restore begins, then every `PROGRESS_EVERY`
   * entries restored (or checked, in a dry run), with the file's entry count as the total.
   */
  onProgress?: (entries: number, total: number) => void;
}

/**
 * Restores of verified backups: Redis keys (values, types, remaining TTLs) into the configured
 * or another Redis, and the tenants table. Each verifies the whole file before writing anything,
 * and is audited.
 */
@Injectable()
export class BackupRestoreService {
  constructor(
    private readonly verifier: BackupVerifier,
    private readonly entries: RedisEntryRepository,
    private readonly tenants: TenantsTableRepository,
    private readonly sessions: PostgresSessionFactory,
    private readonly audit: AuditRepository,
    private readonly lock: TableLock,
  ) {}

  /**
   * Restores a Redis backup: values, types and remaining TTLs. The whole file is verified
   * first; a damaged file is refused before anything is written. Keys that exist with another
   * value are left alone and reported, unless `overwrite`.
   */
  restoreRedis(ref: string, request: RedisRestoreRequest = {}): Promise<RedisRestoreReport> {
    const target = request.targetUrl ? redactUrl(request.targetUrl) : 'the configured Redis';
    return this.audit.around(
      {
        actor: request.actor,
        action: 'restore.redis',
        params: {
          ref,
          dryRun: request.dryRun ?? false,
          overwrite: request.overwrite ?? false,
          target,
        },
      },
      async () => {
        const started = Date.now();
        const { path, header, entries } = await this.verifier.verified(
          ref,
          'redis',
          request.onVerifyProgress,
        );
        const into = request.targetUrl
          ? this.entries.connectTarget(request.targetUrl)
          : this.entries;
        try {
          const restorer = new RedisRestorer(
            into,
            request.dryRun ?? false,
            request.overwrite ?? false,
          );
          request.onProgress?.(0, entries);
          const counted = entryCounter(request.onProgress, entries);
          // The file check decodes each entry; the restorer takes it as it is.
          await scanBackupFile(path, (line, entry) => {
            counted();
            return restorer.add(line, entry);
          });
          await restorer.flush();
          return {
            ...restorer.report,
            backupId: header.id,
            target,
            durationMs: Date.now() - started,
          };
        } finally {
          into.close();
        }
      },
      (report) => ({
        restored: report.restored,
        unchanged: report.unchanged,
        conflicts: report.conflicts,
        overwritten: report.overwritten,
        expired: report.expired,
      }),
    );
  }

  /**
   * Replaces the tenants table with a PostgreSQL backup, in one transaction, after verifying
   * the whole file. Explicit and separate from everything else: it discards current rows.
   */
  restorePostgres(
    ref: string,
    { dryRun = false, actor }: { dryRun?: boolean; actor?: string } = {},
  ): Promise<PostgresRestoreReport> {
    return this.audit.around(
      { actor, action: 'restore.postgres', params: { ref, dryRun } },
      async () => {
        const started = Date.now();
        const { path, header, entries } = await this.verifier.verified(ref, 'postgres');
        if (JSON.stringify(header.columns) !== JSON.stringify(TENANT_TABLE_COLUMNS)) {
          throw new InvalidBackupError(
            'the backup was taken with other tenants columns than this schema has',
            { path },
          );
        }
        const { table } = this.tenants;
        const session = await this.sessions.open();
        try {
          const { client } = session;
          await this.sessions.assertSchema(client);
          const current = await this.tenants.count(client);
          const report = () => ({
            dryRun,
            backupId: header.id,
            table,
            rowsInBackup: entries,
            rowsReplaced: current,
            durationMs: Date.now() - started,
          });
          if (dryRun) return report();
          // Never while a migration, sync or cleanup decides on the rows this replaces.
          await this.lock.hold('restore-postgres', () =>
            this.sessions.transaction(client, async () => {
              await this.tenants.deleteAll(client);
              const copy = this.tenants.copyIn(client);
              // Streams the verified file into COPY, waiting whenever PostgreSQL is behind.
              await scanBackupFile(path, (line) => copy.write(line));
              await copy.end();
            }),
          );
          return report();
        } finally {
          await session.release();
        }
      },
      (report) => ({
        rowsInBackup: report.rowsInBackup,
        rowsReplaced: report.rowsReplaced,
        dryRun: report.dryRun,
      }),
    );
  }
}
