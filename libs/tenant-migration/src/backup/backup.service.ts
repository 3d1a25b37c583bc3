import { Inject, Injectable } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import { OperationStoppedError } from '../errors/index.js';
import { stopReasonOf } from '../common/stop-signal.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { toSummary } from './backup.entity.js';
import { BackupFileWriter } from './backup-file-writer.js';
import {
  readPartial,
  redisBackupCheckpointOf,
  removeOrphanedPartials,
  type RedisBackupCheckpoint,
} from './backup-partial.js';
import { newBackupHeader } from './backup-header.js';
import { BackupRepository } from './backup.repository.js';
import { BackupRestoreService, type RedisRestoreRequest } from './backup-restore.service.js';
import { BackupVerifier } from './backup-verifier.js';
import type { EntryProgress } from './backup-progress.js';
import { encodeEntry, ENTRY_BATCH } from './redis-entries.js';
import { RedisEntryRepository } from './redis-entry.repository.js';
import { TENANT_TABLE_COLUMNS } from '../tenants/tenant-columns.js';
import { TenantsTableRepository } from './tenants-table.repository.js';
import type {
  BackupHeader,
  BackupSummary,
  BackupVerifyReport,
  PostgresRestoreReport,
  RedisRestoreReport,
} from './backup.types.js';

export interface BackupRequest {
  /** Where to write; default `<backupDir>/<kind>-<timestamp>-<id>.ndjson.gz`. */
  outPath?: string;
  /** Who asked, for the audit log. */
  actor?: string;
  /**
   * Stops the backup at the next batch (OperationStoppedError); the partial file is removed,
   * unless `suspendable` keeps it for a pause or a shutdown.
   */
  signal?: AbortSignal;
  /**
   * A pause or a shutdown suspends a Redis backup instead of discarding it: the partial file
   * stays, and the OperationStoppedError carries the checkpoint to resume from (an operation
   * keeps it; a caller with nowhere to keep it leaves this off).
   */
  suspendable?: boolean;
  /** Continues the Redis backup a suspension left (see `suspendable`). */
  resumeFrom?: RedisBackupCheckpoint;
  /** Called after each batch of keys written, with the number written so far. */
  onProgress?: (entries: number) => void;
}

/** What the audit log keeps of a backup taken. */
const auditedBackup = (summary: BackupSummary): Record<string, unknown> => ({
  id: summary.id,
  path: summary.path,
  entries: summary.entryCount,
  checksum: summary.checksum,
});

/**
 * Backups of the Redis tenant keyspace (every type, exact bytes, TTLs, via DUMP/RESTORE) and
 * of the PostgreSQL tenants table; their listing, and the entry point of their verification
 * (`BackupVerifier`) and restore (`BackupRestoreService`). Files stream in constant memory;
 * every backup is recorded and every operation audited.
 */
@Injectable()
export class BackupService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly backups: BackupRepository,
    private readonly reader: RedisKeyspaceReader,
    private readonly entries: RedisEntryRepository,
    private readonly tenants: TenantsTableRepository,
    private readonly sessions: PostgresSessionFactory,
    private readonly audit: AuditRepository,
    private readonly verifier: BackupVerifier,
    private readonly restores: BackupRestoreService,
  ) {}

  /**
   * Writes every key under the prefix, whatever its type, with its TTL, to a new backup file,
   * each key once (SCAN may repeat one). With `suspendable`, a pause or a shutdown keeps the
   * partial file and stops with its checkpoint; `resumeFrom` continues from one.
   */
  backupRedis(request: BackupRequest = {}): Promise<BackupSummary> {
    const { keyPrefix } = this.options;
    return this.audit.around(
      {
        actor: request.actor,
        action: 'backup.redis',
        params: {
          outPath: request.outPath ?? null,
          prefix: keyPrefix,
          ...(request.resumeFrom ? { resumed: request.resumeFrom.backupId } : {}),
        },
      },
      async () => {
        const started = Date.now();
        const { writer, header, seen, position } = await this.openRedisBackup(request);
        try {
          let at = position ?? { cursor: '0', server: null };
          for await (const batch of this.reader.dumps(keyPrefix, ENTRY_BATCH, position)) {
            const reason = stopReasonOf(request.signal);
            if (reason) {
              const checkpoint =
                request.suspendable && reason !== 'cancel'
                  ? { path: writer.path, backupId: header.id, ...at, ...(await writer.suspend()) }
                  : null;
              throw new OperationStoppedError(reason, { entries: writer.entryCount }, checkpoint);
            }
            const lines: string[] = [];
            for (const k of batch.keys) {
              if (seen.add(k.key.toString('latin1'))) lines.push(encodeEntry(k, batch.readAt));
            }
            await writer.writeLines(lines);
            at = { cursor: batch.cursor, server: batch.server };
            request.onProgress?.(writer.entryCount);
          }
          return await this.finish(writer, header, writer.path, started);
        } catch (error) {
          if (!(error instanceof OperationStoppedError && error.checkpoint)) await writer.abort();
          throw error;
        }
      },
      auditedBackup,
    );
  }

  /**
   * The file a Redis backup writes: the suspended one of `resumeFrom`, read back, when it can
   * be continued; a new one otherwise (a partial file that cannot be continued is removed).
   */
  private async openRedisBackup(request: BackupRequest): Promise<{
    writer: BackupFileWriter;
    header: BackupHeader;
    seen: SeenKeySet;
    position?: { cursor: string; server: string | null };
  }> {
    const checkpoint = request.resumeFrom;
    if (checkpoint) {
      const partialPath = `${checkpoint.path}.partial`;
      const partial = await readPartial(partialPath, checkpoint);
      if (partial) {
        const writer = await BackupFileWriter.resume(checkpoint.path, partial);
        const { cursor, server } = checkpoint;
        return { writer, header: partial.header, seen: partial.seen, position: { cursor, server } };
      }
      await rm(partialPath, { force: true });
    }
    const { header, path } = newBackupHeader({
      kind: 'redis',
      scope: this.options.keyPrefix,
      source: this.entries.source(),
      outPath: checkpoint?.path ?? request.outPath,
      backupDir: this.options.backupDir,
    });
    return { writer: await BackupFileWriter.create(path, header), header, seen: new SeenKeySet() };
  }

  /** Removes the partial file a suspended backup left (its operation was cancelled). */
  async discardSuspended(checkpoint: Readonly<Record<string, unknown>>): Promise<void> {
    const suspended = redisBackupCheckpointOf(checkpoint);
    if (suspended) await rm(`${suspended.path}.partial`, { force: true });
  }

  /**
   * Removes the partial files in the backup folder that no suspended backup (`kept`: the
   * checkpoints of the backup operations) continues, once untouched for `graceMs`.
   */
  discardOrphanedPartials(
    kept: readonly Readonly<Record<string, unknown>>[],
    graceMs: number,
  ): Promise<string[]> {
    const named = kept.flatMap((checkpoint) => redisBackupCheckpointOf(checkpoint)?.path ?? []);
    return removeOrphanedPartials(this.options.backupDir, named, graceMs);
  }

  /** Exports the tenants table (COPY) to a new backup file, so a sync or re-migration can be undone. */
  backupPostgres(request: BackupRequest = {}): Promise<BackupSummary> {
    return this.audit.around(
      {
        actor: request.actor,
        action: 'backup.postgres',
        params: { outPath: request.outPath ?? null },
      },
      async () => {
        const started = Date.now();
        const session = await this.sessions.open();
        try {
          const { client } = session;
          await this.sessions.assertSchema(client);
          const { header, path } = newBackupHeader({
            kind: 'postgres',
            scope: this.tenants.table,
            source: await this.tenants.location(client),
            outPath: request.outPath,
            backupDir: this.options.backupDir,
            columns: [...TENANT_TABLE_COLUMNS],
          });
          const writer = await BackupFileWriter.create(path, header);
          try {
            // One snapshot for the whole export.
            await this.sessions.readOnlySnapshot(client, async () => {
              for await (const line of this.tenants.copyOut(client)) await writer.write(line);
            });
            return await this.finish(writer, header, path, started);
          } catch (error) {
            await writer.abort();
            throw error;
          }
        } finally {
          await session.release();
        }
      },
      auditedBackup,
    );
  }

  /** The newest recorded backups, newest first. */
  async list(limit = 20): Promise<BackupSummary[]> {
    return (await this.backups.latest(limit)).map(toSummary);
  }

  /** See `BackupVerifier.verify`. */
  verify(
    ref: string,
    options: { live?: boolean; actor?: string; onProgress?: EntryProgress } = {},
  ): Promise<BackupVerifyReport> {
    return this.verifier.verify(ref, options);
  }

  /** See `BackupRestoreService.restoreRedis`. */
  restoreRedis(ref: string, request: RedisRestoreRequest = {}): Promise<RedisRestoreReport> {
    return this.restores.restoreRedis(ref, request);
  }

  /** See `BackupRestoreService.restorePostgres`. */
  restorePostgres(
    ref: string,
    options: { dryRun?: boolean; actor?: string } = {},
  ): Promise<PostgresRestoreReport> {
    return this.restores.restorePostgres(ref, options);
  }

  /** Completes the file (trailer, rename) and records it. */
  private async finish(
    writer: BackupFileWriter,
    header: BackupHeader,
    path: string,
    started: number,
  ): Promise<BackupSummary> {
    const trailer = await writer.finish();
    const record = await this.backups.insert({
      id: header.id,
      kind: header.kind,
      path,
      scope: header.scope,
      source: header.source,
      entryCount: trailer.entries,
      totalBytes: String(trailer.bytes),
      checksum: trailer.sha256,
      createdAt: new Date(header.createdAt),
      verifiedAt: null,
    });
    return { ...toSummary(record), durationMs: Date.now() - started };
  }
}
