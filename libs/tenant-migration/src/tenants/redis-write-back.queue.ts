import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { sourceHashOf } from './tenant-mapper.js';

/** A tenant whose Redis copy could not be written back, waiting for `sync --pending`. */
export interface PendingWriteBack {
  subdomain: string;
  key: string;
  attempts: number;
  lastError: string;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/** A row of the queue's table. */
interface QueueRow {
  subdomain: string;
  key: string;
  attempts: number;
  last_error: string;
  first_failed_at: Date;
  last_failed_at: Date;
}

const pendingOf = (r: QueueRow): PendingWriteBack => ({
  subdomain: r.subdomain,
  key: r.key,
  attempts: r.attempts,
  lastError: r.last_error,
  firstFailedAt: r.first_failed_at,
  lastFailedAt: r.last_failed_at,
});

/**
 * The durable queue of failed Redis write-backs (table `tables.redisWriteBacks`, default
 * `redis_write_backs`; one row per tenant). It lives in PostgreSQL because it records that
 * Redis could not be written; an entry is added in the same transaction as the tenant's
 * write, so the write and its debt commit together.
 */
@Injectable()
export class RedisWriteBackQueue {
  /** The queue's table: the configured `tables.redisWriteBacks`. */
  private readonly table: string;
  private readonly markWrittenSql: string;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions) {
    this.table = options.tables.redisWriteBacks;
    this.markWrittenSql = `WITH settled AS (DELETE FROM ${this.table} WHERE subdomain = $1)
      UPDATE ${options.tables.tenants} SET source_key = $2, source_hash = $3, migrated_at = now(), updated_at = now() WHERE subdomain = $1`;
  }

  /**
   * Records that Redis now holds `value` for the tenant (written back or synced): it is the
   * tenant's migrated value from now on, so the stores agree; and settles the tenant's entry.
   */
  async markWritten(
    client: PoolClient,
    subdomain: string,
    key: string,
    value: string,
  ): Promise<void> {
    await client.query(this.markWrittenSql, [subdomain, key, sourceHashOf(value)]);
  }

  async enqueue(client: PoolClient, subdomain: string, key: string, error: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} AS w (subdomain, key, last_error) VALUES ($1, $2, $3)
       ON CONFLICT (subdomain) DO UPDATE
         SET key = EXCLUDED.key, last_error = EXCLUDED.last_error,
             attempts = w.attempts + 1, last_failed_at = now()`,
      [subdomain, key, error],
    );
  }

  /** Settles a tenant's entry (its Redis copy was written, or there is nothing left to write). */
  async settle(client: PoolClient, subdomain: string): Promise<void> {
    await client.query(`DELETE FROM ${this.table} WHERE subdomain = $1`, [subdomain]);
  }

  /** The oldest pending entries first. */
  async pending(client: PoolClient, limit: number): Promise<PendingWriteBack[]> {
    const { rows } = await client.query<QueueRow>(
      `SELECT * FROM ${this.table} ORDER BY first_failed_at, subdomain LIMIT $1`,
      [limit],
    );
    return rows.map(pendingOf);
  }

  /** The pending entry of one tenant: none, or one (the queue keeps one row per tenant). */
  async pendingFor(client: PoolClient, subdomain: string): Promise<PendingWriteBack[]> {
    const { rows } = await client.query<QueueRow>(
      `SELECT * FROM ${this.table} WHERE subdomain = $1`,
      [subdomain],
    );
    return rows.map(pendingOf);
  }

  async count(client: PoolClient): Promise<number> {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.table}`,
    );
    return rows[0].n;
  }
}
