import { Inject, Injectable } from '@nestjs/common';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import type { PoolClient } from 'pg';
import type { Redis } from 'ioredis';
import { IsNull, Not, type Repository } from 'typeorm';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import { asStoreError, RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { TableLock } from '../migration/table-lock.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { BackupEntity } from '../backup/backup.entity.js';
import { BackupService } from '../backup/backup.service.js';
import { scanBackupFile } from '../backup/backup-file.js';
import type { RedisBackupEntry } from '../backup/backup.types.js';
import { BackupNotFoundError, CleanupRefusedError, InvalidBackupError } from '../errors/index.js';
import { ROW_DIFFERS } from './integrity.service.js';

/** Why cleanup kept a key. Only keys proven safe are deleted; everything else is one of these. */
export type CleanupKeepReason =
  | 'not-in-backup'
  | 'changed-since-backup'
  | 'not-a-string'
  | 'invalid-record'
  | 'not-in-postgres'
  | 'drifted'
  | 'changed-during-cleanup';

export interface CleanupResult {
  dryRun: boolean;
  backupId: string;
  /** Keys of the backup examined (the backup is the upper bound of what can be deleted). */
  examined: number;
  /** Deleted (or, in a dry run, that would be). */
  deleted: number;
  /** Keys of the backup already gone from Redis. */
  alreadyGone: number;
  kept: number;
  keptByReason: Partial<Record<CleanupKeepReason, number>>;
  samples: { key: string; outcome: 'deleted' | 'kept'; reason?: CleanupKeepReason }[];
  durationMs: number;
}

export interface CleanupRequest {
  /** Report what would be deleted; delete nothing. Default true: deleting is explicit. */
  dryRun?: boolean;
  actor?: string;
}

const BATCH = 1000;
const SAMPLE_LIMIT = 50;
const STAGE = 'cleanup_stage';

/** For each staged record: whether its tenant differs (a record without a tenant yields no row). */
const compareStaged = (tenants: string): string =>
  `SELECT s.source_key AS key, ${ROW_DIFFERS} AS differs FROM ${STAGE} s JOIN ${tenants} t USING (subdomain)`;

/** Records the deleted keys (the integrity check then reports their tenants as cleaned up). */
const recordCleanups = (redisCleanups: string): string =>
  `INSERT INTO ${redisCleanups} (key, subdomain, source_hash, backup_id)
       SELECT d.*, $4::uuid FROM unnest($1::text[], $2::text[], $3::text[]) AS d(key, subdomain, source_hash)`;

/**
 * The replies of a pipeline, in order. A command that failed fails the step, as callers see a
 * Redis failure (StoreUnavailableError when Redis went away): a lost connection leaves every
 * reply an error, which must never be read as a value (it was a TypeError, a 500).
 */
const repliesOf = async (pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> => {
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw asStoreError(error);
  }
  return (replies ?? []).map(([error, reply]) => {
    if (error) throw asStoreError(error);
    return reply;
  });
};

/** Deletes the key only if it still holds the verified value: compare-and-delete. */
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Deletes migrated tenant keys from Redis only when that is provably safe: the key is in the
 * newest verified backup of this prefix with its current value, its tenant is in PostgreSQL
 * with every mapped field equal right now, and it still holds that value at the moment of
 * deletion (one atomic step). Everything else is kept with a reason. Deletions are recorded,
 * so the integrity check reports those tenants as cleaned up, not as drift.
 */
@Injectable()
export class CleanupService {
  /** `compareStaged` and `recordCleanups` for the configured table names. */
  private readonly compareStagedSql: string;
  private readonly recordCleanupsSql: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    @InjectTenantRepository(BackupEntity) private readonly backupRecords: Repository<BackupEntity>,
    private readonly backups: BackupService,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
    private readonly audit: AuditRepository,
    private readonly lock: TableLock,
  ) {
    this.compareStagedSql = compareStaged(options.tables.tenants);
    this.recordCleanupsSql = recordCleanups(options.tables.redisCleanups);
  }

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
          ? this.run(dryRun, request.actor)
          : this.lock.hold('cleanup', () => this.run(dryRun, request.actor)),
      (result) => ({
        backupId: result.backupId,
        deleted: result.deleted,
        kept: result.kept,
        keptByReason: result.keptByReason,
      }),
    );
  }

  private async run(dryRun: boolean, actor: string | undefined): Promise<CleanupResult> {
    const started = Date.now();
    const backup = await this.backupRecords.findOne({
      where: { kind: 'redis', scope: this.options.keyPrefix, verifiedAt: Not(IsNull()) },
      order: { createdAt: 'DESC' },
    });
    if (!backup) {
      throw new CleanupRefusedError(
        `no verified backup of "${this.options.keyPrefix}": run \`backup\`, then \`backup verify <id>\`, then cleanup`,
        { prefix: this.options.keyPrefix },
      );
    }
    // The file must still be intact now, not only when it was verified.
    const verification = await this.backups.verify(backup.id, { actor }).catch((error: unknown) => {
      // Its file is gone, is a folder now, or cannot be read: nothing can be proven safe.
      if (error instanceof BackupNotFoundError || error instanceof InvalidBackupError) {
        throw new CleanupRefusedError(
          `backup ${backup.id} no longer verifies: ${error.message}`,
          { backupId: backup.id, path: backup.path },
          { cause: error },
        );
      }
      throw error;
    });
    if (!verification.ok) {
      throw new CleanupRefusedError(
        `backup ${backup.id} no longer verifies: ${verification.problems.join('; ')}`,
        { backupId: backup.id },
      );
    }

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
      await this.merges.prepareSession(session.client, STAGE, 'DELETE ROWS');
      let pending: RedisBackupEntry[] = [];
      await scanBackupFile(backup.path, async (line) => {
        const entry = JSON.parse(line) as RedisBackupEntry;
        inBackup.add(entry.k);
        pending.push(entry);
        if (pending.length >= BATCH) {
          await this.processBatch(session.client, pending, backup.id, result);
          pending = [];
        }
      });
      await this.processBatch(session.client, pending, backup.id, result);
    } finally {
      await session.release();
    }
    // Keys written after the backup (or never in it) are not covered by it.
    for await (const keys of this.reader.keys(this.options.keyPrefix, BATCH)) {
      for (const key of keys)
        if (inBackup.add(key.toString('base64')))
          this.keep(result, key.toString('utf8'), 'not-in-backup');
    }
    result.durationMs = Date.now() - started;
    return result;
  }

  private async processBatch(
    client: PoolClient,
    entries: RedisBackupEntry[],
    backupId: string,
    result: CleanupResult,
  ): Promise<void> {
    if (entries.length === 0) return;
    result.examined += entries.length;
    const strings = entries.filter((e) => {
      if (e.t === 'string') return true;
      this.keep(result, Buffer.from(e.k, 'base64').toString('utf8'), 'not-a-string');
      return false;
    });
    const keys = strings.map((e) => Buffer.from(e.k, 'base64'));
    const live = this.redis.pipeline();
    for (const key of keys) live.dumpBuffer(key).getBuffer(key);
    const replies = await repliesOf(live);

    // Unchanged since the backup: the live DUMP is the backed-up one.
    const covered: { key: string; value: Buffer }[] = [];
    strings.forEach((e, i) => {
      const key = keys[i].toString('utf8');
      const dump = replies[2 * i] as Buffer | null;
      const value = replies[2 * i + 1] as Buffer | null;
      if (dump === null || value === null) result.alreadyGone++;
      else if (!dump.equals(Buffer.from(e.d, 'base64')))
        this.keep(result, key, 'changed-since-backup');
      else covered.push({ key, value });
    });
    if (covered.length === 0) return;

    // Valid records only, mapped exactly as the migration maps them.
    const prepared = await this.classifier.classify({
      cursor: '0',
      entries: covered.map(({ key, value }) => ({ key, kind: 'value' as const, value })),
    });
    for (const e of prepared.exceptions) this.keep(result, e.key, 'invalid-record');
    if (prepared.candidates.length === 0) return;

    // Equal in PostgreSQL right now, field by field.
    const rows = await this.sessions.transaction(client, async () => {
      await this.merges.stage(client, prepared.candidates, STAGE);
      return (await client.query<{ key: string; differs: boolean }>(this.compareStagedSql)).rows;
    });
    const present = new Set(rows.map((r) => r.key));
    const equal = new Set(rows.filter((r) => !r.differs).map((r) => r.key));
    const values = new Map(covered.map((c) => [c.key, c.value]));
    const deletable = prepared.candidates.filter((c) => {
      if (!present.has(c.key)) this.keep(result, c.key, 'not-in-postgres');
      else if (!equal.has(c.key)) this.keep(result, c.key, 'drifted');
      else return true;
      return false;
    });
    if (deletable.length === 0) return;
    if (result.dryRun) {
      for (const c of deletable) this.deleted(result, c.key);
      return;
    }

    const deletes = this.redis.pipeline();
    for (const c of deletable)
      deletes.eval(COMPARE_AND_DELETE, 1, c.key, values.get(c.key) as Buffer);
    const outcomes = await repliesOf(deletes);
    const done = deletable.filter((c, i) => {
      if (outcomes[i] === 1) return true;
      this.keep(result, c.key, 'changed-during-cleanup');
      return false;
    });
    if (done.length === 0) return;
    await client.query(this.recordCleanupsSql, [
      done.map((c) => c.key),
      done.map((c) => c.record.subdomain),
      done.map((c) => c.record.sourceHash),
      backupId,
    ]);
    for (const c of done) this.deleted(result, c.key);
  }

  private keep(result: CleanupResult, key: string, reason: CleanupKeepReason): void {
    result.kept++;
    result.keptByReason[reason] = (result.keptByReason[reason] ?? 0) + 1;
    if (result.samples.length < SAMPLE_LIMIT) result.samples.push({ key, outcome: 'kept', reason });
  }

  private deleted(result: CleanupResult, key: string): void {
    result.deleted++;
    if (result.samples.length < SAMPLE_LIMIT) result.samples.push({ key, outcome: 'deleted' });
  }
}
