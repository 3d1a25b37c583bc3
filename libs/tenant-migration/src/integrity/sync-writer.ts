import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { RedisTenantKeysRepository } from '../source/redis-tenant-keys.repository.js';
import type { StagedTenant } from '../migration/tenant-merge.types.js';
import { redisValueOf } from '../tenants/tenant-row.js';
import { ConcurrentChangeError } from '../errors/index.js';
import { SyncRepository, type SyncRow } from './sync.repository.js';
import type { SyncDecision } from './sync.types.js';

/** A decided sync of one tenant, with what it was decided on. */
export interface DecidedSync {
  subdomain: string;
  key: string;
  decided: SyncDecision;
  row: SyncRow | null;
  /** The Redis record to merge (Redis to PostgreSQL), if it is valid. */
  staged: StagedTenant[];
  /** The write fence taken before Redis was read. */
  fence: string;
  /** The key's value as read (null: absent or not a value). */
  raw: Buffer | null;
  fromWriteBackQueue: boolean;
}

/**
 * Applies a sync's decision to the store it points to, each change guarded by what it was
 * decided on: a store that changed since is left as it is, and the sync fails with
 * ConcurrentChangeError ("run sync again").
 */
@Injectable()
export class SyncWriter {
  constructor(
    private readonly sessions: PostgresSessionFactory,
    private readonly store: SyncRepository,
    private readonly reader: RedisKeyspaceReader,
    private readonly redisKeys: RedisTenantKeysRepository,
  ) {}

  /**
   * Applies the decision on the session. A sync to Redis settles the tenant's write-back
   * entry, and so does a deletion; with `fromWriteBackQueue` (the tenant is queued), so does
   * any other outcome.
   */
  async apply(client: PoolClient, sync: DecidedSync): Promise<void> {
    const { decided, subdomain, key, row } = sync;
    if (decided.change === 'delete') await this.deletePostgres(client, subdomain, key, row!);
    else if (decided.direction === 'redis-to-postgres')
      await this.writePostgres(client, subdomain, sync.staged, sync.fence);
    else if (decided.direction === 'postgres-to-redis')
      await this.writeRedis(client, subdomain, key, row!, sync.raw);
    // A PostgreSQL-to-Redis write and a deletion settled the tenant's entry themselves.
    if (
      sync.fromWriteBackQueue &&
      decided.direction !== 'postgres-to-redis' &&
      decided.change !== 'delete'
    )
      await this.store.settle(client, subdomain);
  }

  /**
   * Redis to PostgreSQL for a key deleted or expired in Redis: deletes the row (compare-and-
   * delete) and settles its write-back entry in one transaction. A key back in Redis by then
   * is a newer change than the deletion, so nothing is deleted.
   */
  private async deletePostgres(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: SyncRow,
  ): Promise<void> {
    await this.sessions.transaction(client, async () => {
      if (!(await this.store.deleteIfUnchanged(client, row, row.changed_in_postgres))) {
        throw new ConcurrentChangeError(
          `"${subdomain}" changed in PostgreSQL while it was being synced; nothing was deleted, run sync again`,
          { subdomain },
        );
      }
      const [present] = await this.reader.exist([key]);
      if (present)
        throw new ConcurrentChangeError(
          `"${subdomain}" was written to Redis while it was being synced; nothing was deleted, run sync again`,
          { subdomain, key },
        );
      // A migration batch or resolver that read the key before it went must not bring it back.
      await this.store.markDeleted(client, subdomain, key);
      await this.store.settle(client, subdomain);
    });
  }

  /**
   * Redis to PostgreSQL: the one record goes through the migration's own merge (Redis wins),
   * guarded by the fence taken before Redis was read: a row written (or a tenant deleted) in
   * PostgreSQL since is kept, and the sync fails with ConcurrentChangeError.
   */
  private async writePostgres(
    client: PoolClient,
    subdomain: string,
    staged: StagedTenant[],
    fence: string,
  ): Promise<void> {
    await this.sessions.transaction(client, async () => {
      const unwritten = await this.store.merge(client, staged, fence);
      if (unwritten.has(subdomain)) {
        throw new ConcurrentChangeError(
          `"${subdomain}" changed in PostgreSQL while it was being synced; nothing was written, run sync again`,
          { subdomain },
        );
      }
    });
  }

  /**
   * PostgreSQL to Redis: writes the tenant in its source's format (legacy readers keep
   * working), only if the key still holds what was read, then records that value as migrated.
   */
  private async writeRedis(
    client: PoolClient,
    subdomain: string,
    key: string,
    row: SyncRow,
    current: Buffer | null,
  ): Promise<void> {
    const value = redisValueOf(row);
    if (!(await this.redisKeys.compareAndSet(key, current, value)))
      throw new ConcurrentChangeError(
        `"${subdomain}" changed in Redis while it was being synced; nothing was written, run sync again`,
        { subdomain },
      );
    await this.store.markWritten(client, subdomain, key, value);
  }
}
