import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Redis } from 'ioredis';
import type { Repository } from 'typeorm';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TableLock } from '../migration/table-lock.js';
import { TENANT_COLUMNS } from '../migration/tenant-merge.repository.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { redactUrl } from '../common/redact-url.js';
import { BackupNotFoundError, InvalidBackupError, InvalidOptionError } from '../errors/index.js';
import { BackupEntity, toSummary } from './backup.entity.js';
import { scanBackupFile, type BackupFileScan } from './backup-file.js';
import { BackupFileWriter } from './backup-file-writer.js';
import { ENTRY_BATCH } from './redis-entries.js';
import { connectRestoreTarget, RedisRestorer } from './redis-restorer.js';
import { LiveComparer } from './live-comparer.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupHeader,
  type BackupKind,
  type BackupSource,
  type BackupSummary,
  type BackupVerifyReport,
  type PostgresRestoreReport,
  type RedisBackupEntry,
  type RedisRestoreReport,
} from './backup.types.js';

/** The tenants columns a PostgreSQL backup holds, in COPY order: the migrated ones and their timestamps. */
export const TENANT_TABLE_COLUMNS = [...TENANT_COLUMNS, 'migrated_at', 'updated_at'] as const;

export interface BackupRequest {
  /** Where to write; default `<backupDir>/<kind>-<timestamp>-<id>.ndjson.gz`. */
  outPath?: string;
  /** Who asked, for the audit log. */
  actor?: string;
}

export interface RedisRestoreRequest {
  dryRun?: boolean;
  /** Restore into this Redis instead of the configured one. */
  targetUrl?: string;
  /** Replace keys that exist with another value (default: leave them and report them). */
  overwrite?: boolean;
  actor?: string;
}

/**
 * Backups of the Redis tenant keyspace (every type, exact bytes, TTLs, via DUMP/RESTORE) and
 * of the PostgreSQL tenants table; their verification, listing and restore. Files stream in
 * constant memory; every backup is recorded and every operation audited.
 */
@Injectable()
export class BackupService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    @InjectTenantRepository(BackupEntity) private readonly backups: Repository<BackupEntity>,
    private readonly reader: RedisKeyspaceReader,
    private readonly sessions: PostgresSessionFactory,
    private readonly audit: AuditRepository,
    private readonly lock: TableLock,
  ) {}

  /** Writes every key under the prefix, whatever its type, with its TTL, to a new backup file. */
  backupRedis(request: BackupRequest = {}): Promise<BackupSummary> {
    return this.audit.around(
      {
        actor: request.actor,
        action: 'backup.redis',
        params: { outPath: request.outPath ?? null, prefix: this.options.keyPrefix },
      },
      async () => {
        const started = Date.now();
        const { header, path } = this.newHeader(
          'redis',
          this.options.keyPrefix,
          this.redisSource(),
          request.outPath,
        );
        const writer = await BackupFileWriter.create(path, header);
        try {
          for await (const batch of this.reader.dumps(this.options.keyPrefix, ENTRY_BATCH)) {
            const now = Date.now();
            for (const k of batch) {
              const entry: RedisBackupEntry = {
                k: k.key.toString('base64'),
                t: k.type,
                e: k.pttl > 0 ? now + k.pttl : null,
                d: k.dump.toString('base64'),
                ...(k.digest ? { h: k.digest } : {}),
              };
              await writer.write(JSON.stringify(entry));
            }
          }
          const trailer = await writer.finish();
          return {
            ...(await this.record(header, path, trailer)),
            durationMs: Date.now() - started,
          };
        } catch (error) {
          await writer.abort();
          throw error;
        }
      },
      (summary) => ({
        id: summary.id,
        path: summary.path,
        entries: summary.entryCount,
        checksum: summary.checksum,
      }),
    );
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
          await this.sessions.assertSchema(session.client);
          const {
            rows: [where],
          } = await session.client.query<{
            host: string | null;
            port: number | null;
            database: string;
          }>(
            'SELECT host(inet_server_addr()) AS host, inet_server_port() AS port, current_database() AS database',
          );
          const source: BackupSource = {
            host: where.host ?? 'local socket',
            port: where.port ?? 5432,
            database: where.database,
          };
          const { header, path } = this.newHeader(
            'postgres',
            this.options.tables.tenants,
            source,
            request.outPath,
            [...TENANT_TABLE_COLUMNS],
          );
          const writer = await BackupFileWriter.create(path, header);
          try {
            // One snapshot for the whole export.
            await this.sessions.transaction(
              session.client,
              async () => {
                const rows = session.client.query(
                  copyTo(
                    `COPY (SELECT ${TENANT_TABLE_COLUMNS.join(', ')} FROM ${this.options.tables.tenants} ORDER BY subdomain) TO STDOUT`,
                  ),
                );
                // Chunks are cut anywhere, even inside a character: decode across their boundaries.
                const decoder = new StringDecoder('utf8');
                let carry = '';
                for await (const chunk of rows as AsyncIterable<Buffer>) {
                  const lines = (carry + decoder.write(chunk)).split('\n');
                  carry = lines.pop() ?? '';
                  for (const line of lines) await writer.write(line);
                }
              },
              'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
            );
            const trailer = await writer.finish();
            return {
              ...(await this.record(header, path, trailer)),
              durationMs: Date.now() - started,
            };
          } catch (error) {
            await writer.abort();
            throw error;
          }
        } finally {
          await session.release();
        }
      },
      (summary) => ({
        id: summary.id,
        path: summary.path,
        entries: summary.entryCount,
        checksum: summary.checksum,
      }),
    );
  }

  async list(limit = 20): Promise<BackupSummary[]> {
    const rows = await this.backups.find({ order: { createdAt: 'DESC' }, take: limit });
    return rows.map(toSummary);
  }

  /**
   * Re-reads the file: header, trailer, entry count and checksum, and that it matches its
   * record. With `live`, also compares it with Redis now (missing, extra, changed keys).
   * A verified recorded backup gets its `verifiedAt` set.
   */
  verify(
    ref: string,
    { live = false, actor }: { live?: boolean; actor?: string } = {},
  ): Promise<BackupVerifyReport> {
    return this.audit.around(
      { actor, action: 'backup.verify', params: { ref, live } },
      async () => {
        const comparison = live ? new LiveComparer(this.redis) : null;
        const { path, record, scan, problems } = await this.inspect(
          ref,
          comparison ? (line) => comparison.compare(line) : undefined,
        );
        if (live && scan.header?.kind !== 'redis')
          problems.push('only Redis backups can be compared with live Redis');
        const liveReport =
          comparison && scan.header?.kind === 'redis'
            ? await comparison.finish(scan.header.scope, this.reader)
            : undefined;
        const ok = problems.length === 0;
        if (ok && record) {
          record.verifiedAt = new Date();
          await this.backups.save(record);
        }
        return {
          ok,
          path,
          backup: record ? toSummary(record) : null,
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
        const { path, header } = await this.verified(ref, 'redis');
        const client = request.targetUrl
          ? connectRestoreTarget(request.targetUrl, this.redis)
          : this.redis;
        try {
          const restorer = new RedisRestorer(
            client,
            request.dryRun ?? false,
            request.overwrite ?? false,
          );
          await scanBackupFile(path, (line) => restorer.add(line));
          await restorer.flush();
          return {
            ...restorer.report,
            backupId: header.id,
            target,
            durationMs: Date.now() - started,
          };
        } finally {
          if (client !== this.redis) client.disconnect();
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
        const { path, header, entries } = await this.verified(ref, 'postgres');
        if (JSON.stringify(header.columns) !== JSON.stringify(TENANT_TABLE_COLUMNS)) {
          throw new InvalidBackupError(
            'the backup was taken with other tenants columns than this schema has',
            { path },
          );
        }
        const { tenants: table } = this.options.tables;
        const session = await this.sessions.open();
        try {
          await this.sessions.assertSchema(session.client);
          const { rows } = await session.client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${table}`,
          );
          const current = Number(rows[0].n);
          if (dryRun)
            return {
              dryRun,
              backupId: header.id,
              table,
              rowsInBackup: entries,
              rowsReplaced: current,
              durationMs: Date.now() - started,
            };
          // Never while a migration, sync or cleanup decides on the rows this replaces.
          await this.lock.hold('restore-postgres', () =>
            this.sessions.transaction(session.client, async () => {
              await session.client.query(`DELETE FROM ${table}`);
              const copy = session.client.query(
                copyFrom(`COPY ${table} (${TENANT_TABLE_COLUMNS.join(', ')}) FROM STDIN`),
              );
              const copied = new Promise<void>((resolvePromise, reject) => {
                copy.on('finish', resolvePromise);
                copy.on('error', reject);
              });
              // Streams the verified file into COPY, waiting whenever PostgreSQL is behind.
              await scanBackupFile(path, async (line) => {
                if (!copy.write(`${line}\n`)) await once(copy, 'drain');
              });
              copy.end();
              await copied;
            }),
          );
          return {
            dryRun,
            backupId: header.id,
            table,
            rowsInBackup: entries,
            rowsReplaced: current,
            durationMs: Date.now() - started,
          };
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

  /** The file of a backup id, or a path (recorded or not). */
  private async locate(ref: string): Promise<{ path: string; record: BackupEntity | null }> {
    if (isUUID(ref)) {
      const record = await this.backups.findOneBy({ id: ref });
      if (!record) throw new BackupNotFoundError(`no backup ${ref}`, { ref });
      return { path: record.path, record };
    }
    const path = resolve(ref);
    return { path, record: await this.backups.findOneBy({ path }) };
  }

  /** Reads the whole file (handing each entry to `onEntry`) and checks it, and that it matches its record. */
  private async inspect(
    ref: string,
    onEntry?: (line: string) => void | Promise<void>,
  ): Promise<{
    path: string;
    record: BackupEntity | null;
    scan: BackupFileScan;
    problems: string[];
  }> {
    const { path, record } = await this.locate(ref);
    const scan = await scanBackupFile(path, onEntry);
    const problems = [...scan.problems];
    if (record && scan.trailer && record.checksum !== scan.trailer.sha256)
      problems.push('the file is not the one recorded for this backup (checksum differs)');
    if (record && scan.header && record.id !== scan.header.id)
      problems.push('the file belongs to another backup');
    return { path, record, scan, problems };
  }

  /** Verifies the whole file as `verify` does and returns its header; refuses a damaged or wrong-kind file. */
  private async verified(
    ref: string,
    kind: BackupKind,
  ): Promise<{ path: string; header: BackupHeader; entries: number }> {
    const { path, scan, problems } = await this.inspect(ref);
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

  private newHeader(
    kind: BackupKind,
    scope: string,
    source: BackupSource,
    outPath: string | undefined,
    columns?: string[],
  ): { header: BackupHeader; path: string } {
    const id = randomUUID();
    const createdAt = new Date();
    const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
    const path = resolve(
      outPath ??
        `${this.options.backupDir}/${kind === 'redis' ? 'redis' : 'tenants'}-${stamp}-${id.slice(0, 8)}.ndjson.gz`,
    );
    if (!path.endsWith('.gz'))
      throw new InvalidOptionError(`a backup path must end in .gz, got ${path}`, { path });
    return {
      path,
      header: {
        format: BACKUP_FORMAT,
        version: BACKUP_FORMAT_VERSION,
        id,
        kind,
        createdAt: createdAt.toISOString(),
        source,
        scope,
        ...(columns ? { columns } : {}),
      },
    };
  }

  private async record(
    header: BackupHeader,
    path: string,
    trailer: { entries: number; bytes: number; sha256: string },
  ): Promise<BackupSummary> {
    const entity = this.backups.create({
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
    return toSummary(await this.backups.save(entity));
  }

  private redisSource(): BackupSource {
    const { host = 'unknown', port = 6379, db = 0 } = this.redis.options;
    return { host, port, database: String(db) };
  }
}
