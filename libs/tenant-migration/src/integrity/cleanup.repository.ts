import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { IsNull, Not, type Repository } from 'typeorm';
import { InjectTenantRepository } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { BackupEntity } from '../backup/backup.entity.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { type StagedTenant } from '../migration/tenant-merge.types.js';
import { ROW_DIFFERS } from './row-differs.sql.js';

/** The staging table a cleanup compares records through (emptied at every commit). */
const STAGE = 'cleanup_stage';

/** A staged record whose tenant PostgreSQL has: whether any mapped field differs. */
export interface StagedComparison {
  key: string;
  differs: boolean;
}

/** A key cleanup deleted, with the record it held. */
export interface CleanedUpKey {
  key: string;
  subdomain: string;
  sourceHash: string;
}

/**
 * The PostgreSQL side of a cleanup: the backup it relies on, the field-by-field comparison of
 * backed-up records with their tenants, and the record of what it deleted.
 */
@Injectable()
export class CleanupRepository {
  private readonly sql: { compareStaged: string; recordCleanups: string };

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantRepository(BackupEntity) private readonly backups: Repository<BackupEntity>,
    private readonly merges: TenantMergeRepository,
  ) {
    const { tenants, redisCleanups } = options.tables;
    this.sql = {
      // For each staged record: whether its tenant differs (a record without a tenant yields no row).
      compareStaged: `SELECT s.source_key AS key, ${ROW_DIFFERS} AS differs FROM ${STAGE} s JOIN ${tenants} t USING (subdomain)`,
      // The integrity check then reports these tenants as cleaned up.
      recordCleanups: `INSERT INTO ${redisCleanups} (key, subdomain, source_hash, backup_id)
       SELECT d.*, $4::uuid FROM unnest($1::text[], $2::text[], $3::text[]) AS d(key, subdomain, source_hash)`,
    };
  }

  /** The newest verified Redis backup of the prefix, if there is one. */
  newestVerifiedBackup(prefix: string): Promise<BackupEntity | null> {
    return this.backups.findOne({
      where: { kind: 'redis', scope: prefix, verifiedAt: Not(IsNull()) },
      order: { createdAt: 'DESC' },
    });
  }

  /** The verified Redis backup of the prefix with this id (the one a stopped cleanup relied on). */
  verifiedBackup(id: string, prefix: string): Promise<BackupEntity | null> {
    return this.backups.findOne({
      where: { id, kind: 'redis', scope: prefix, verifiedAt: Not(IsNull()) },
    });
  }

  /** Creates the session's staging table. */
  prepare(client: PoolClient): Promise<void> {
    return this.merges.prepareSession(client, STAGE, 'DELETE ROWS');
  }

  /**
   * Stages the records and compares each with its tenant, in the caller's transaction (the
   * staging table empties at its commit).
   */
  async compare(client: PoolClient, staged: StagedTenant[]): Promise<StagedComparison[]> {
    await this.merges.stage(client, staged, STAGE);
    return (await client.query<StagedComparison>(this.sql.compareStaged)).rows;
  }

  /** Records the deleted keys, with the backup that covered them. */
  async recordCleanups(
    client: PoolClient,
    cleaned: readonly CleanedUpKey[],
    backupId: string,
  ): Promise<void> {
    await client.query(this.sql.recordCleanups, [
      cleaned.map((c) => c.key),
      cleaned.map((c) => c.subdomain),
      cleaned.map((c) => c.sourceHash),
      backupId,
    ]);
  }
}
