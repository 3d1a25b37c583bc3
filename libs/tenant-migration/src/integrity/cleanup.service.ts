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
import { OperationStoppedError } from '../errors/index.js';
import { stopReasonOf } from '../common/stop-signal.js';
import {
  keep,
  type CleanupCheckpoint,
  type CleanupRequest,
  type CleanupResult,
} from './cleanup.types.js';

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
    const resumed = request.resumeFrom;
    const backup = await this.gate.verifiedBackup(
      request.actor,
      request.onVerifyProgress,
      resumed?.backupId,
    );
    const result: CleanupResult = resumed
      ? { ...structuredClone(resumed.result), dryRun, durationMs: 0 }
      : {
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
    // Entries of the file examined so far (in file order); a continuation skips as many.
    let entries = Math.min(resumed?.entries ?? 0, backup.entryCount);
    // Stops here when asked, keeping `done` (what the examined entries gave) to continue from.
    const stopIfAsked = (done: CleanupResult = result): void => {
      const reason = stopReasonOf(request.signal);
      if (!reason) return;
      const { durationMs: _durationMs, ...sofar } = done;
      const checkpoint: CleanupCheckpoint | null =
        reason === 'cancel' ? null : { backupId: backup.id, entries, result: sofar };
      throw new OperationStoppedError(
        reason,
        { examined: done.examined, deleted: done.deleted, kept: done.kept },
        checkpoint,
      );
    };
    const inBackup = new SeenKeySet();
    const session = await this.sessions.open();
    try {
      await this.batch.prepare(session.client);
      // The file verified again, so it holds exactly the entries its record counts.
      request.onProgress?.(entries, backup.entryCount);
      let skip = entries;
      let pending: RedisBackupEntry[] = [];
      const flush = async (): Promise<void> => {
        stopIfAsked();
        await this.batch.process(session.client, pending, backup.id, result);
        entries += pending.length;
        pending = [];
        request.onProgress?.(result.examined, backup.entryCount);
      };
      await this.gate.entries(backup, async (entry) => {
        inBackup.add(entry.k);
        if (skip > 0) {
          skip--;
          return;
        }
        pending.push(entry);
        if (pending.length >= BATCH) await flush();
      });
      if (pending.length > 0) await flush();
    } finally {
      await session.release();
    }
    // Keys written after the backup (or never in it) are not covered by it. This pass only
    // counts: stopped in it, a continuation begins it again from the counts it began with.
    const beforeLastPass = structuredClone(result);
    for await (const keys of this.reader.keys(this.options.keyPrefix, BATCH)) {
      stopIfAsked(beforeLastPass);
      for (const key of keys)
        if (inBackup.add(key.toString('base64')))
          keep(result, key.toString('utf8'), 'not-in-backup');
    }
    result.durationMs = Date.now() - started;
    return result;
  }
}
