import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TableLock } from '../migration/table-lock.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { RedisBackupEntry } from '../backup/backup.types.js';
import { CleanupBackupGate } from './cleanup-backup.gate.js';
import { CleanupBatch } from './cleanup-batch.js';
import { keep, type CleanupRequest, type CleanupResult } from './cleanup.types.js';

/** Backup entries examined (and Redis keys listed) per batch. */
const BATCH = 1000;

/**
 * Deletes migrated tenant keys from Redis only when that is provably safe: the key is in the
 * newest verified backup of this prefix with its current value, its tenant is in PostgreSQL
 * with every mapped field equal right now, and it still holds that value at the moment of
 * deletion (one atomic step). Everything else is kept with a reason. Deletions are recorded,
 * so the integrity check reports those tenants as cleaned up, not as drift.
 */
@Injectable()
export class CleanupService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly gate: CleanupBackupGate,
    private readonly batch: CleanupBatch,
    private readonly reader: RedisKeyspaceReader,
    private readonly sessions: PostgresSessionFactory,
    private readonly audit: AuditRepository,
    private readonly lock: TableLock,
  ) {}

  cleanup(request: CleanupRequest = {}): Promise<CleanupResult> {
    const dryRun = request.dryRun ?? true;
    return this.audit.around(
      {
        actor: request.actor,
        action: 'cleanup',
        params: { dryRun, prefix: this.options.keyPrefix },
      },
      // A cleanup that deletes holds the tenants table's lock: never during a migration, restore or sync.
      () =>
        dryRun
          ? this.run(dryRun, request)
          : this.lock.hold('cleanup', () => this.run(dryRun, request)),
      (result) => ({
        backupId: result.backupId,
        deleted: result.deleted,
        kept: result.kept,
        keptByReason: result.keptByReason,
      }),
    );
  }

  private async run(dryRun: boolean, request: CleanupRequest): Promise<CleanupResult> {
    const started = Date.now();
    const backup = await this.gate.verifiedBackup(request.actor, request.onVerifyProgress);
    const result: CleanupResult = {
      dryRun,
      backupId: backup.id,
      examined: 0,
      deleted: 0,
      alreadyGone: 0,
      kept: 0,
      keptByReason: {},
      samples: [],
      durationMs: 0,
    };
    const inBackup = new SeenKeySet();
    const session = await this.sessions.open();
    try {
      await this.batch.prepare(session.client);
      // The file verified again, so it holds exactly the entries its record counts.
      request.onProgress?.(0, backup.entryCount);
      let pending: RedisBackupEntry[] = [];
      await this.gate.entries(backup, async (entry) => {
        inBackup.add(entry.k);
        pending.push(entry);
        if (pending.length >= BATCH) {
          await this.batch.process(session.client, pending, backup.id, result);
          pending = [];
          request.onProgress?.(result.examined, backup.entryCount);
        }
      });
      await this.batch.process(session.client, pending, backup.id, result);
    } finally {
      await session.release();
    }
    // Keys written after the backup (or never in it) are not covered by it.
    for await (const keys of this.reader.keys(this.options.keyPrefix, BATCH)) {
      for (const key of keys)
        if (inBackup.add(key.toString('base64')))
          keep(result, key.toString('utf8'), 'not-in-backup');
    }
    result.durationMs = Date.now() - started;
    return result;
  }
}
