import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { redisKeyOf } from '../tenants/tenant-row.js';
import { TenantNotFoundError } from '../errors/index.js';
import { SyncRepository } from './sync.repository.js';
import { SyncWriter } from './sync-writer.js';
import { decideSync } from './sync-decision.js';
import type { SyncRequest, SyncResult, SyncTarget } from './sync.types.js';

/**
 * Syncs one tenant: reads both stores' copies on one session (the key classified exactly as
 * the migration classifies it), decides which side wins (`decideSync`) and, unless it is a dry
 * run, applies that (`SyncWriter`).
 *
 * A tenant's Redis key is the one it was migrated from (`source_key`), which need not be
 * prefix + subdomain (a key such as `MyShop` migrates as `myshop`); for a tenant PostgreSQL
 * does not have, the key the caller found it under; else prefix + subdomain.
 */
@Injectable()
export class TenantSyncService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly validator: TenantValidator,
    private readonly sessions: PostgresSessionFactory,
    private readonly store: SyncRepository,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly writer: SyncWriter,
  ) {}

  /**
   * Decides and applies one tenant's sync. With `fromWriteBackQueue` (the tenant is queued)
   * the tenant's write-back entry is settled by any outcome that is not a dry run, a tenant
   * gone from both stores included (TenantNotFoundError all the same).
   */
  async reconcile(
    target: SyncTarget,
    request: SyncRequest,
    fromWriteBackQueue: boolean,
  ): Promise<SyncResult> {
    const subdomain = this.validator.requireSubdomain(target.subdomain);
    const dryRun = request.dryRun ?? false;

    const session = await this.sessions.open();
    const { client } = session;
    try {
      const row = await this.store.readRow(client, subdomain);
      const key = redisKeyOf(this.options.keyPrefix, subdomain, row ? row.source_key : target.key);
      // Taken before Redis is read: a PostgreSQL write committed after this read is not
      // overwritten with what was read (the merge refuses it, and the sync says so).
      const fence = await this.store.fence(client);
      // The key is classified exactly as the migration classifies it (a renamed key included),
      // so sync and migrate agree on what the record is.
      const [entry] = await this.reader.fetch([key], this.options.maxValueBytes);
      const prepared = await this.classifier.classify({ cursor: '0', entries: [entry] });
      const candidate = prepared.candidates.at(0);

      if (!row && entry.kind === 'vanished') {
        if (fromWriteBackQueue && !dryRun) await this.store.settle(client, subdomain);
        throw new TenantNotFoundError(
          `tenant "${subdomain}" exists in neither Redis nor PostgreSQL`,
          { subdomain },
        );
      }
      const decided = await decideSync(
        {
          subdomain,
          key,
          row,
          vanished: entry.kind === 'vanished',
          candidate,
          redisProblems: prepared.exceptions.at(0)?.reasons ?? [],
          wasCleanedUp: () => this.store.wasCleanedUp(client, row!),
          fromWriteBackQueue,
          prefixKey: this.options.keyPrefix + subdomain,
        },
        request,
      );
      if (!dryRun) {
        await this.writer.apply(client, {
          subdomain,
          key,
          decided,
          row,
          staged: candidate ? [candidate] : [],
          fence,
          raw: entry.kind === 'value' ? entry.value : null,
          fromWriteBackQueue,
        });
      }
      return { subdomain, key, ...decided, dryRun };
    } finally {
      await session.release();
    }
  }
}
