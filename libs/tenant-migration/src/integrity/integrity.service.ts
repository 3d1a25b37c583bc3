import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { SeenKeySet } from '../common/seen-key-set.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../migration/postgres-session.factory.js';
import { fromEpochMs, TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import type { FieldDifference, IntegrityReport, InvalidRedisRecord, TenantDrift } from './integrity.types.js';

/** Every mapped field the check compares: its name in the enhanced format, its column, its kind. */
const COMPARED_FIELDS: readonly [field: string, column: string, kind: 'value' | 'epoch-ms'][] = [
  ['emoji', 'emoji', 'value'],
  ['createdAt', 'created_at', 'epoch-ms'],
  ['businessName', 'business_name', 'value'],
  ['businessCategory', 'business_category', 'value'],
  ['businessDescription', 'business_description', 'value'],
  ['ownerName', 'owner_name', 'value'],
  ['email', 'email', 'value'],
  ['phone', 'phone', 'value'],
  ['address', 'address', 'value'],
  ['logo', 'logo', 'value'],
  ['brandColors', 'brand_colors', 'value'],
  ['features.whatsapp', 'feature_whatsapp', 'value'],
  ['features.homeVisit', 'feature_home_visit', 'value'],
  ['features.analytics', 'feature_analytics', 'value'],
  ['features.customTemplates', 'feature_custom_templates', 'value'],
  ['features.multiStaff', 'feature_multi_staff', 'value'],
  ['subscription.plan', 'subscription_plan', 'value'],
  ['subscription.status', 'subscription_status', 'value'],
  ['subscription.expiresAt', 'subscription_expires_at', 'epoch-ms'],
  ['profileComplete', 'profile_complete', 'value'],
];

const STAGE = 'integrity_stage';
const redisSide = (column: string, kind: 'value' | 'epoch-ms'): string => (kind === 'epoch-ms' ? fromEpochMs(`s.${column}`) : `s.${column}`);
const ROW_DIFFERS = `ROW(${COMPARED_FIELDS.map(([, c, k]) => redisSide(c, k)).join(', ')}) IS DISTINCT FROM ROW(${COMPARED_FIELDS.map(([, c]) => `t.${c}`).join(', ')})`;
/** A tenant with no valid Redis record, whose Redis key is not a known-invalid record either. */
const ONLY_IN_POSTGRES = `NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE s.subdomain = t.subdomain)
  AND NOT EXISTS (SELECT 1 FROM integrity_invalid i WHERE i.key = t.source_key)`;
const FIELD_PAIRS = COMPARED_FIELDS.map(([f, c, k]) => `('${f}', to_jsonb(${redisSide(c, k)}), to_jsonb(t.${c}))`).join(',\n        ');

export interface IntegrityCheckRequest {
  /** How many drifts to list (0: all). Counts always cover everything. Default 0. */
  limit?: number;
  onProgress?: (scanned: number) => void;
}

/**
 * Compares every tenant in Redis with PostgreSQL, field by field, at keyspace scale: the
 * Redis side is read and mapped exactly as a migration would (same classifier), COPYed into a
 * temporary table, and PostgreSQL finds what is only on one side and what differs with
 * set-based queries. Nothing is written anywhere (the temporary table goes with the transaction).
 */
@Injectable()
export class IntegrityService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
  ) {}

  async check(request: IntegrityCheckRequest = {}): Promise<IntegrityReport> {
    const started = Date.now();
    const limit = request.limit ?? 0;
    const session = await this.sessions.open();
    const { client } = session;
    try {
      await this.sessions.assertSchema(client);
      await client.query('BEGIN');
      await this.merges.prepareSession(client, STAGE, 'DROP');
      await client.query('CREATE TEMP TABLE integrity_invalid (key text NOT NULL) ON COMMIT DROP');

      const seen = new SeenKeySet();
      let scanned = 0;
      let valid = 0;
      let skipped = 0;
      const invalidRecords: InvalidRedisRecord[] = [];
      let invalid = 0;
      const scan = { prefix: this.options.keyPrefix, batchSize: this.options.batchSize, maxValueBytes: this.options.maxValueBytes };
      for await (const batch of this.reader.batches(scan)) {
        const prepared = await this.classifier.classify(batch, seen);
        scanned += prepared.scanned;
        valid += prepared.candidates.length;
        await this.merges.stage(client, prepared.candidates, STAGE);
        const rejected = prepared.exceptions.filter((e) => e.bucket === 'rejected');
        skipped += prepared.exceptions.length - rejected.length;
        invalid += rejected.length;
        for (const r of rejected) if (limit === 0 || invalidRecords.length < limit) invalidRecords.push({ key: r.key, reasons: r.reasons });
        if (rejected.length > 0) {
          await client.query('INSERT INTO integrity_invalid (key) SELECT unnest($1::text[])', [rejected.map((r) => r.key.replace(/\0/g, '\\x00'))]);
        }
        request.onProgress?.(scanned);
      }
      await client.query(`ANALYZE ${STAGE}; ANALYZE integrity_invalid`);

      const counts = await this.count(client);
      const drift = await this.listDrift(client, limit);
      await client.query('COMMIT');
      const total = counts.onlyInRedis + counts.onlyInPostgres + counts.different;
      return {
        consistent: total === 0,
        redisKeys: scanned,
        valid,
        invalid,
        skipped,
        postgresTenants: counts.postgresTenants,
        matching: valid - counts.onlyInRedis - counts.different,
        onlyInRedis: counts.onlyInRedis,
        onlyInPostgres: counts.onlyInPostgres,
        different: counts.different,
        drift,
        truncated: drift.length < total,
        invalidRecords,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await session.release();
    }
  }

  private async count(client: PoolClient): Promise<{ postgresTenants: number; onlyInRedis: number; onlyInPostgres: number; different: number }> {
    const { rows } = await client.query<{ postgres: number; only_redis: number; only_postgres: number; different: number }>(`
      SELECT (SELECT count(*) FROM tenants)::int AS postgres,
             (SELECT count(*) FROM ${STAGE} s WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.subdomain = s.subdomain))::int AS only_redis,
             (SELECT count(*) FROM tenants t WHERE ${ONLY_IN_POSTGRES})::int AS only_postgres,
             (SELECT count(*) FROM ${STAGE} s JOIN tenants t USING (subdomain) WHERE ${ROW_DIFFERS})::int AS different`);
    const [row] = rows;
    return { postgresTenants: row.postgres, onlyInRedis: row.only_redis, onlyInPostgres: row.only_postgres, different: row.different };
  }

  private async listDrift(client: PoolClient, limit: number): Promise<TenantDrift[]> {
    const cap = limit === 0 ? 'ALL' : String(limit);
    const onlyRedis = await client.query<{ subdomain: string; key: string }>(
      `SELECT s.subdomain, s.source_key AS key FROM ${STAGE} s
        WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.subdomain = s.subdomain) ORDER BY s.subdomain LIMIT ${cap}`,
    );
    const drift: TenantDrift[] = onlyRedis.rows.map((r) => ({ kind: 'only-in-redis', subdomain: r.subdomain, key: r.key }));
    const room = (): string => (limit === 0 ? 'ALL' : String(Math.max(limit - drift.length, 0)));
    const onlyPostgres = await client.query<{ subdomain: string; key: string | null }>(
      `SELECT t.subdomain, t.source_key AS key FROM tenants t WHERE ${ONLY_IN_POSTGRES} ORDER BY t.subdomain LIMIT ${room()}`,
    );
    for (const r of onlyPostgres.rows) drift.push({ kind: 'only-in-postgres', subdomain: r.subdomain, key: r.key });
    const different = await client.query<{
      subdomain: string;
      key: string;
      fields: FieldDifference[];
      changed_in_postgres: boolean;
      changed_in_redis: boolean;
    }>(
      `SELECT s.subdomain, s.source_key AS key,
              (SELECT jsonb_agg(jsonb_build_object('field', c.field, 'redis', c.r, 'postgres', c.p))
                 FROM (VALUES
        ${FIELD_PAIRS}) AS c(field, r, p)
                WHERE c.r IS DISTINCT FROM c.p) AS fields,
              (t.migrated_at IS NULL OR t.updated_at > t.migrated_at) AS changed_in_postgres,
              (t.source_hash IS DISTINCT FROM s.source_hash) AS changed_in_redis
         FROM ${STAGE} s JOIN tenants t USING (subdomain)
        WHERE ${ROW_DIFFERS}
        ORDER BY s.subdomain LIMIT ${room()}`,
    );
    for (const r of different.rows) {
      drift.push({
        kind: 'different',
        subdomain: r.subdomain,
        key: r.key,
        fields: r.fields,
        changedInPostgres: r.changed_in_postgres,
        changedInRedis: r.changed_in_redis,
      });
    }
    return drift;
  }
}
