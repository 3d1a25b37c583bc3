import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { TableNames } from '../database/table-names.js';
import { storableText } from '../common/storable-text.js';
import { ScanState } from '../migration/scan-state.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { KeyspaceClassifier } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { fromEpochMs, TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { LEGACY_FIELDS } from '../tenants/tenant-mapper.js';
import type {
  FieldDifference,
  IntegrityReport,
  InvalidRedisRecord,
  TenantDrift,
} from './integrity.types.js';

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
const redisSide = (column: string, kind: 'value' | 'epoch-ms'): string =>
  kind === 'epoch-ms' ? fromEpochMs(`s.${column}`) : `s.${column}`;
const rowsDiffer = (fields: typeof COMPARED_FIELDS): string =>
  `ROW(${fields.map(([, c, k]) => redisSide(c, k)).join(', ')}) IS DISTINCT FROM ROW(${fields.map(([, c]) => `t.${c}`).join(', ')})`;
/**
 * SQL true when a staged record (alias s) and its tenant (alias t) differ in a field the
 * record carries: every mapped field of an enhanced record; emoji and createdAt of a legacy
 * one (a profile added in PostgreSQL has no place in a legacy record, so it is not drift).
 */
export const ROW_DIFFERS = `CASE WHEN s.source_format = 'legacy'
  THEN ${rowsDiffer(COMPARED_FIELDS.filter(([f]) => (LEGACY_FIELDS as readonly string[]).includes(f)))}
  ELSE ${rowsDiffer(COMPARED_FIELDS)} END`;
/**
 * One pass over both sides (a full join on subdomain) that keeps only what drifted. A tenant
 * with no valid Redis record is "only in PostgreSQL" unless its Redis key is a known-invalid
 * record, which is reported apart.
 */
const findDrift = (tables: Pick<TableNames, 'tenants' | 'redisCleanups'>): string => `
  CREATE TEMP TABLE integrity_drift ON COMMIT DROP AS
  SELECT CASE WHEN t.subdomain IS NULL THEN 'only-in-redis'
              WHEN s.subdomain IS NULL THEN 'only-in-postgres'
              ELSE 'different' END AS kind,
         coalesce(s.subdomain, t.subdomain) AS subdomain
    FROM ${STAGE} s FULL JOIN ${tables.tenants} t ON t.subdomain = s.subdomain
   WHERE (t.subdomain IS NULL)
      OR (s.subdomain IS NULL AND NOT EXISTS (SELECT 1 FROM integrity_invalid i WHERE i.key = t.source_key)
          AND NOT EXISTS (SELECT 1 FROM ${tables.redisCleanups} c WHERE c.subdomain = t.subdomain AND c.source_hash = t.source_hash))
      OR (s.subdomain IS NOT NULL AND t.subdomain IS NOT NULL AND ${ROW_DIFFERS})`;
const FIELD_PAIRS = COMPARED_FIELDS.map(
  ([f, c, k]) => `('${f}', to_jsonb(${redisSide(c, k)}), to_jsonb(t.${c}))`,
).join(',\n        ');

/**
 * Moves the staged records whose subdomain's tenant was migrated from another key (the
 * migration's ownership rule, `decideMerge`) out of the comparison and into the invalid keys.
 */
const moveOwnershipConflicts = (tenants: string): string => `
  WITH moved AS (
    DELETE FROM ${STAGE} s USING ${tenants} t
     WHERE t.subdomain = s.subdomain AND t.source_key IS NOT NULL AND t.source_key <> s.source_key
    RETURNING s.source_key AS key, s.subdomain, t.source_key AS owner),
  recorded AS (INSERT INTO integrity_invalid (key) SELECT key FROM moved)
  SELECT key, subdomain, owner FROM moved ORDER BY key`;

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
  /** `findDrift` for the configured table names. */
  private readonly findDriftSql: string;
  private readonly moveConflictsSql: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
  ) {
    this.findDriftSql = findDrift(options.tables);
    this.moveConflictsSql = moveOwnershipConflicts(options.tables.tenants);
  }

  async check(request: IntegrityCheckRequest = {}): Promise<IntegrityReport> {
    const started = Date.now();
    const limit = request.limit ?? 0;
    const session = await this.sessions.open();
    const { client } = session;
    try {
      await this.sessions.assertSchema(client);
      // The staged keyspace is a temporary table: let it live in memory rather than spill to
      // temporary files (allowed only before this session's first temporary table).
      await client.query(`SET temp_buffers = '256MB'`).catch(() => undefined);
      await client.query('BEGIN');
      await this.merges.prepareSession(client, STAGE, 'DROP');
      await client.query('CREATE TEMP TABLE integrity_invalid (key text NOT NULL) ON COMMIT DROP');

      const state = new ScanState(this.options.keyPrefix);
      let scanned = 0;
      let valid = 0;
      let skipped = 0;
      const invalidRecords: InvalidRedisRecord[] = [];
      let invalid = 0;
      const scan = {
        prefix: this.options.keyPrefix,
        batchSize: this.options.batchSize,
        maxValueBytes: this.options.maxValueBytes,
      };
      // One COPY in flight while the next batch is read and classified.
      let staging: Promise<void> = Promise.resolve();
      for await (const batch of this.reader.batches({ ...scan, seen: state.seen })) {
        const prepared = await this.classifier.classify(batch, state);
        scanned += prepared.scanned;
        valid += prepared.candidates.length;
        await staging;
        staging = this.merges.stage(client, prepared.candidates, STAGE);
        staging.catch(() => undefined);
        const rejected = prepared.exceptions.filter((e) => e.bucket === 'rejected');
        skipped += prepared.exceptions.length - rejected.length;
        invalid += rejected.length;
        for (const r of rejected)
          if (limit === 0 || invalidRecords.length < limit)
            invalidRecords.push({ key: r.key, reasons: r.reasons });
        if (rejected.length > 0) {
          await staging;
          await client.query('INSERT INTO integrity_invalid (key) SELECT unnest($1::text[])', [
            rejected.map((r) => storableText(r.key)),
          ]);
        }
        request.onProgress?.(scanned);
      }
      await staging;
      // A key whose subdomain PostgreSQL credits to another key is what a migration rejects
      // (subdomain-conflict), not a tenant to compare: counted and listed as invalid.
      const { rows: conflicts } = await client.query<{
        key: string;
        subdomain: string;
        owner: string;
      }>(this.moveConflictsSql);
      invalid += conflicts.length;
      valid -= conflicts.length;
      for (const c of conflicts) {
        if (limit === 0 || invalidRecords.length < limit) {
          invalidRecords.push({
            key: c.key,
            reasons: [
              {
                code: 'subdomain-conflict',
                field: 'subdomain',
                message: `the subdomain already belongs to the tenant migrated from ${c.owner}`,
              },
            ],
          });
        }
      }
      await client.query(`ANALYZE ${STAGE}; ANALYZE integrity_invalid`);
      await client.query(this.findDriftSql);

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
        cleanedUp: counts.cleanedUp,
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

  private async count(client: PoolClient): Promise<{
    postgresTenants: number;
    cleanedUp: number;
    onlyInRedis: number;
    onlyInPostgres: number;
    different: number;
  }> {
    const { tenants, redisCleanups } = this.options.tables;
    const { rows } = await client.query<{
      postgres: number;
      cleaned_up: number;
      only_redis: number;
      only_postgres: number;
      different: number;
    }>(`
      SELECT (SELECT count(*) FROM ${tenants})::int AS postgres,
             -- only scanned when cleanup has ever deleted anything
             CASE WHEN EXISTS (SELECT 1 FROM ${redisCleanups}) THEN
               (SELECT count(*) FROM ${tenants} t WHERE NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE s.subdomain = t.subdomain)
                   AND EXISTS (SELECT 1 FROM ${redisCleanups} c WHERE c.subdomain = t.subdomain AND c.source_hash = t.source_hash))
             ELSE 0 END::int AS cleaned_up,
             count(*) FILTER (WHERE kind = 'only-in-redis')::int AS only_redis,
             count(*) FILTER (WHERE kind = 'only-in-postgres')::int AS only_postgres,
             count(*) FILTER (WHERE kind = 'different')::int AS different
        FROM integrity_drift`);
    const [row] = rows;
    return {
      postgresTenants: row.postgres,
      cleanedUp: row.cleaned_up,
      onlyInRedis: row.only_redis,
      onlyInPostgres: row.only_postgres,
      different: row.different,
    };
  }

  /** The first `limit` drifts (0: all), with the field-level differences of each. */
  private async listDrift(client: PoolClient, limit: number): Promise<TenantDrift[]> {
    const { rows } = await client.query<{
      kind: TenantDrift['kind'];
      subdomain: string;
      key: string | null;
      fields: FieldDifference[] | null;
      changed_in_postgres: boolean | null;
      changed_in_redis: boolean | null;
    }>(
      `SELECT d.kind, d.subdomain, coalesce(s.source_key, t.source_key) AS key,
              CASE WHEN d.kind = 'different' THEN
                (SELECT jsonb_agg(jsonb_build_object('field', c.field, 'redis', c.r, 'postgres', c.p))
                   FROM (VALUES
          ${FIELD_PAIRS}) AS c(field, r, p)
                  WHERE c.r IS DISTINCT FROM c.p
                    AND (s.source_format <> 'legacy' OR c.field IN (${[...LEGACY_FIELDS].map((f) => `'${f}'`).join(', ')}))) END AS fields,
              CASE WHEN d.kind = 'different' THEN (t.migrated_at IS NULL OR t.updated_at > t.migrated_at) END AS changed_in_postgres,
              CASE WHEN d.kind = 'different' THEN (t.source_hash IS DISTINCT FROM s.source_hash) END AS changed_in_redis
         FROM integrity_drift d
         LEFT JOIN ${STAGE} s ON s.subdomain = d.subdomain
         LEFT JOIN ${this.options.tables.tenants} t ON t.subdomain = d.subdomain
        ORDER BY array_position(ARRAY['only-in-redis', 'only-in-postgres', 'different'], d.kind), d.subdomain
        LIMIT ${limit === 0 ? 'ALL' : String(limit)}`,
    );
    return rows.map((r) =>
      r.kind === 'different'
        ? {
            kind: r.kind,
            subdomain: r.subdomain,
            key: r.key,
            fields: r.fields ?? [],
            changedInPostgres: r.changed_in_postgres ?? false,
            changedInRedis: r.changed_in_redis ?? false,
          }
        : { kind: r.kind, subdomain: r.subdomain, key: r.key },
    );
  }
}
