import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { RedisTenantKeysRepository } from '../source/redis-tenant-keys.repository.js';
import type { RedisBackupEntry } from '../backup/backup.types.js';
import { CleanupRepository } from './cleanup.repository.js';
import { deleted, keep, type CleanupResult } from './cleanup.types.js';

/**
 * Decides, for one batch of a backup's entries, which keys cleanup deletes: a string key whose
 * live DUMP is the backed-up one, whose record is valid, whose tenant PostgreSQL has with every
 * mapped field equal, and which still holds that value at the moment of deletion
 * (compare-and-delete). Every other key is kept with its reason.
 */
@Injectable()
export class CleanupBatch {
  constructor(
    private readonly redisKeys: RedisTenantKeysRepository,
    private readonly classifier: KeyspaceClassifier,
    private readonly sessions: PostgresSessionFactory,
    private readonly store: CleanupRepository,
  ) {}

  /** Creates the session's staging table, once per cleanup session. */
  prepare(client: PoolClient): Promise<void> {
    return this.store.prepare(client);
  }

  /** Examines the entries and deletes what is proven safe (not in a dry run), counting in `result`. */
  async process(
    client: PoolClient,
    entries: RedisBackupEntry[],
    backupId: string,
    result: CleanupResult,
  ): Promise<void> {
    if (entries.length === 0) return;
    result.examined += entries.length;
    const strings = entries.filter((e) => {
      if (e.t === 'string') return true;
      keep(result, Buffer.from(e.k, 'base64').toString('utf8'), 'not-a-string');
      return false;
    });
    const keys = strings.map((e) => Buffer.from(e.k, 'base64'));
    const live = await this.redisKeys.live(keys);

    // Unchanged since the backup: the live DUMP is the backed-up one.
    const covered: { key: string; value: Buffer }[] = [];
    strings.forEach((e, i) => {
      const key = keys[i].toString('utf8');
      const { dump, value } = live[i];
      if (dump === null || value === null) result.alreadyGone++;
      else if (!dump.equals(Buffer.from(e.d, 'base64'))) keep(result, key, 'changed-since-backup');
      else covered.push({ key, value });
    });
    if (covered.length === 0) return;

    // Valid records only, mapped exactly as the migration maps them.
    const prepared = await this.classifier.classify({
      cursor: '0',
      entries: covered.map(({ key, value }) => ({ key, kind: 'value' as const, value })),
    });
    for (const e of prepared.exceptions) keep(result, e.key, 'invalid-record');
    if (prepared.candidates.length === 0) return;

    // Equal in PostgreSQL right now, field by field.
    const rows = await this.sessions.transaction(client, () =>
      this.store.compare(client, prepared.candidates),
    );
    const present = new Set(rows.map((r) => r.key));
    const equal = new Set(rows.filter((r) => !r.differs).map((r) => r.key));
    const values = new Map(covered.map((c) => [c.key, c.value]));
    const deletable = prepared.candidates.filter((c) => {
      if (!present.has(c.key)) keep(result, c.key, 'not-in-postgres');
      else if (!equal.has(c.key)) keep(result, c.key, 'drifted');
      else return true;
      return false;
    });
    if (deletable.length === 0) return;
    if (result.dryRun) {
      for (const c of deletable) deleted(result, c.key);
      return;
    }

    const outcomes = await this.redisKeys.compareAndDelete(
      deletable.map((c) => ({ key: c.key, value: values.get(c.key)! })),
    );
    const done = deletable.filter((c, i) => {
      if (outcomes[i]) return true;
      keep(result, c.key, 'changed-during-cleanup');
      return false;
    });
    if (done.length === 0) return;
    await this.store.recordCleanups(
      client,
      done.map((c) => ({
        key: c.key,
        subdomain: c.record.subdomain,
        sourceHash: c.record.sourceHash,
      })),
      backupId,
    );
    for (const c of done) deleted(result, c.key);
  }
}
