import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { resolve } from 'node:path';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { BackupNotFoundError, InvalidBackupError } from '../errors/index.js';
import { type BackupEntity, toSummary } from './backup.entity.js';
import { scanBackupFile, type BackupFileScan, type EntryHandler } from './backup-file.js';
import { BackupRepository } from './backup.repository.js';
import { RedisEntryRepository } from './redis-entry.repository.js';
import { LiveComparer } from './live-comparer.js';
import type { BackupHeader, BackupKind, BackupVerifyReport } from './backup.types.js';
import { entryCounter, type EntryProgress } from './backup-progress.js';

/** A backup file read whole, with what is wrong with it. */
interface Inspection {
  path: string;
  record: BackupEntity | null;
  scan: BackupFileScan;
  problems: string[];
}

/**
 * Finds a backup's file (by id or path) and checks it: header, trailer, entries, checksum, and
 * that it is the file recorded for its id; optionally against live Redis. Restores start here.
 */
@Injectable()
export class BackupVerifier {
  constructor(
    private readonly backups: BackupRepository,
    private readonly entries: RedisEntryRepository,
    private readonly reader: RedisKeyspaceReader,
    private readonly audit: AuditRepository,
  ) {}

  /**
   * Re-reads the file: header, trailer, entry count and checksum, and that it matches its
   * record. With `live`, also compares it with Redis now (missing, extra, changed keys).
   * A verified recorded backup gets its `verifiedAt` set. `onProgress` hears every
   * `PROGRESS_EVERY` entries read, with the record's entry count as the total.
   */
  verify(
    ref: string,
    {
      live = false,
      actor,
      onProgress,
    }: { live?: boolean; actor?: string; onProgress?: EntryProgress } = {},
  ): Promise<BackupVerifyReport> {
    return this.audit.around(
      { actor, action: 'backup.verify', params: { ref, live } },
      async () => {
        const comparison = live ? new LiveComparer(this.entries) : null;
        const located = await this.locate(ref);
        const counted = entryCounter(onProgress, located.record?.entryCount ?? null);
        const { path, record, scan, problems } = await this.inspect(located, (line, entry) => {
          counted();
          return comparison?.compare(line, entry);
        });
        if (live && scan.header?.kind !== 'redis')
          problems.push('only Redis backups can be compared with live Redis');
        const liveReport =
          comparison && scan.header?.kind === 'redis'
            ? await comparison.finish(scan.header.scope, this.reader)
            : undefined;
        const ok = problems.length === 0;
        const verified =
          ok && record ? await this.backups.markVerified(record, new Date()) : record;
        return {
          ok,
          path,
          backup: verified ? toSummary(verified) : null,
          header: scan.header,
          entries: scan.entries,
          checksum: scan.trailer?.sha256 ?? null,
          problems,
          ...(liveReport ? { live: liveReport } : {}),
        };
      },
      (report) => ({ ok: report.ok, entries: report.entries, problems: report.problems.length }),
    );
  }

  /**
   * Verifies the whole file as `verify` does and returns its header; refuses a damaged or
   * wrong-kind file. `onProgress` hears how far through the file the verification is.
   */
  async verified(
    ref: string,
    kind: BackupKind,
    onProgress?: EntryProgress,
  ): Promise<{ path: string; header: BackupHeader; entries: number }> {
    const located = await this.locate(ref);
    const counted = onProgress && entryCounter(onProgress, located.record?.entryCount ?? null);
    const { path, scan, problems } = await this.inspect(located, counted);
    if (problems.length > 0 || !scan.header) {
      throw new InvalidBackupError(`refusing to restore ${path}: ${problems.join('; ')}`, {
        path,
        problems,
      });
    }
    if (scan.header.kind !== kind) {
      throw new InvalidBackupError(
        `${path} is a ${scan.header.kind} backup, not a ${kind} backup`,
        { path },
      );
    }
    return { path, header: scan.header, entries: scan.entries };
  }

  /** The file of a backup id, or a path (recorded or not). */
  private async locate(ref: string): Promise<{ path: string; record: BackupEntity | null }> {
    if (isUUID(ref)) {
      const record = await this.backups.findById(ref);
      if (!record) throw new BackupNotFoundError(`no backup ${ref}`, { ref });
      return { path: record.path, record };
    }
    const path = resolve(ref);
    return { path, record: await this.backups.findByPath(path) };
  }

  /** Reads the whole file (handing each entry to `onEntry`) and checks it, and that it matches its record. */
  private async inspect(
    { path, record }: { path: string; record: BackupEntity | null },
    onEntry?: EntryHandler,
  ): Promise<Inspection> {
    const scan = await scanBackupFile(path, onEntry);
    const problems = [...scan.problems];
    if (record && scan.trailer && record.checksum !== scan.trailer.sha256)
      problems.push('the file is not the one recorded for this backup (checksum differs)');
    if (record && scan.header && record.id !== scan.header.id)
      problems.push('the file belongs to another backup');
    return { path, record, scan, problems };
  }
}
