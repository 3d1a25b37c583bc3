import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { TableNames } from '../database/table-names.js';
import { storableText } from '../common/storable-text.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { type StagedTenant } from '../migration/tenant-merge.types.js';
import { FIELD_DIFFERENCES, ROW_DIFFERS } from './row-differs.sql.js';
import type { ScanStateSnapshot } from '../migration/scan-state.js';
import type { FieldDifference, TenantDrift } from './integrity.types.js';

/** The staged keyspace (alias s), the known-invalid keys, and what drifted: all temporary. */
const STAGE = 'integrity_stage';
const INVALID = 'integrity_invalid';
const DRIFT = 'integrity_drift';

type Tables = Pick<TableNames, 'tenants' | 'redisCleanups'>;

/** The unlogged tables a suspended check keeps its staged side in (`parts`: 32 hex digits). */
const suspendedTables = (parts: string) => {
  if (!/^[0-9a-f]{32}$/.test(parts)) throw new RangeError(`not a suspended check's name: ${parts}`);
  const name = `integrity_check_${parts}`;
  return { stage: `${name}_stage`, invalid: `${name}_invalid`, state: `${name}_state` };
};

/**
 * One pass over both sides (a full join on subdomain) that keeps only what drifted. A tenant
 * with no valid Redis record is "only in PostgreSQL" unless its Redis key is a known-invalid
 * record, which is reported apart.
 */
const findDriftSql = (tables: Tables): string => `
  CREATE TEMP TABLE ${DRIFT} ON COMMIT DROP AS
  SELECT CASE WHEN t.subdomain IS NULL THEN 'only-in-redis'
              WHEN s.subdomain IS NULL THEN 'only-in-postgres'
              ELSE 'different' END AS kind,
         coalesce(s.subdomain, t.subdomain) AS subdomain
    FROM ${STAGE} s FULL JOIN ${tables.tenants} t ON t.subdomain = s.subdomain
   WHERE (t.subdomain IS NULL)
      OR (s.subdomain IS NULL AND NOT EXISTS (SELECT 1 FROM ${INVALID} i WHERE i.key = t.source_key)
          AND NOT EXISTS (SELECT 1 FROM ${tables.redisCleanups} c WHERE c.subdomain = t.subdomain AND c.source_hash = t.source_hash))
      OR (s.subdomain IS NOT NULL AND t.subdomain IS NOT NULL AND ${ROW_DIFFERS})`;

/**
 * Moves the staged records whose subdomain's tenant was migrated from another key (the
 * migration's ownership rule, `decideMerge`) out of the comparison and into the invalid keys.
 */
const moveOwnershipConflictsSql = (tables: Tables): string => `
  WITH moved AS (
    DELETE FROM ${STAGE} s USING ${tables.tenants} t
     WHERE t.subdomain = s.subdomain AND t.source_key IS NOT NULL AND t.source_key <> s.source_key
    RETURNING s.source_key AS key, s.subdomain, t.source_key AS owner),
  recorded AS (INSERT INTO ${INVALID} (key) SELECT key FROM moved)
  SELECT key, subdomain, owner FROM moved ORDER BY key`;

/** The tenants, the cleaned-up ones, and the drift by kind. */
const countDriftSql = ({ tenants, redisCleanups }: Tables): string => `
  SELECT (SELECT count(*) FROM ${tenants})::int AS postgres,
         -- only scanned when cleanup has ever deleted anything
         CASE WHEN EXISTS (SELECT 1 FROM ${redisCleanups}) THEN
           (SELECT count(*) FROM ${tenants} t WHERE NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE s.subdomain = t.subdomain)
               AND EXISTS (SELECT 1 FROM ${redisCleanups} c WHERE c.subdomain = t.subdomain AND c.source_hash = t.source_hash))
         ELSE 0 END::int AS cleaned_up,
         count(*) FILTER (WHERE kind = 'only-in-redis')::int AS only_redis,
         count(*) FILTER (WHERE kind = 'only-in-postgres')::int AS only_postgres,
         count(*) FILTER (WHERE kind = 'different')::int AS different
    FROM ${DRIFT}`;

/** The drifts in report order, each with its field-level differences; `LIMIT` appended. */
const listDriftSql = ({ tenants }: Tables): string =>
  `SELECT d.kind, d.subdomain, coalesce(s.source_key, t.source_key) AS key,
          CASE WHEN d.kind = 'different' THEN ${FIELD_DIFFERENCES} END AS fields,
          CASE WHEN d.kind = 'different' THEN (t.migrated_at IS NULL OR t.updated_at > t.migrated_at) END AS changed_in_postgres,
          CASE WHEN d.kind = 'different' THEN (t.source_hash IS DISTINCT FROM s.source_hash) END AS changed_in_redis
     FROM ${DRIFT} d
     LEFT JOIN ${STAGE} s ON s.subdomain = d.subdomain
     LEFT JOIN ${tenants} t ON t.subdomain = d.subdomain
    ORDER BY array_position(ARRAY['only-in-redis', 'only-in-postgres', 'different'], d.kind), d.subdomain`;

/** A staged key whose subdomain PostgreSQL credits to another key (`owner`). */
export interface OwnershipConflict {
  key: string;
  subdomain: string;
  owner: string;
}

/** What the full join found, counted over everything. */
export interface DriftCounts {
  postgresTenants: number;
  /** Tenants whose Redis key cleanup deleted on purpose (same value). */
  cleanedUp: number;
  onlyInRedis: number;
  onlyInPostgres: number;
  different: number;
}

/**
 * The integrity check's SQL: a staging table of the Redis side in one transaction, the
 * known-invalid keys beside it, and the set-based queries that compare them with the tenants
 * table. Every table here is temporary and dropped at commit; nothing else is written, but for
 * the unlogged tables a suspended check keeps until its continuation takes them.
 */
@Injectable()
export class IntegrityComparisonRepository {
  private readonly sql: {
    findDrift: string;
    moveOwnershipConflicts: string;
    countDrift: string;
    listDrift: string;
  };

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    private readonly merges: TenantMergeRepository,
  ) {
    this.sql = {
      findDrift: findDriftSql(options.tables),
      moveOwnershipConflicts: moveOwnershipConflictsSql(options.tables),
      countDrift: countDriftSql(options.tables),
      listDrift: listDriftSql(options.tables),
    };
  }

  /**
   * Lets the staged keyspace live in memory rather than spill to temporary files. Outside a
   * transaction: PostgreSQL allows it only before the session's first temporary table, and a
   * pooled session that already had one keeps its setting (the refusal is ignored).
   */
  async tuneSession(client: PoolClient): Promise<void> {
    await client.query(`SET temp_buffers = '256MB'`).catch(() => undefined);
  }

  /** Creates the staging table and the invalid-keys table, both dropped at commit. */
  async createTables(client: PoolClient): Promise<void> {
    await this.merges.prepareSession(client, STAGE, 'DROP');
    await client.query(`CREATE TEMP TABLE ${INVALID} (key text NOT NULL) ON COMMIT DROP`);
  }

  /**
   * Keeps this session's staged Redis side and the scan's memory in unlogged tables named by
   * `parts` (32 hex digits), for a continuation in another session: they last once the
   * check's transaction commits.
   */
  async suspend(client: PoolClient, parts: string, snapshot: ScanStateSnapshot): Promise<void> {
    const kept = suspendedTables(parts);
    await client.query(`CREATE UNLOGGED TABLE ${kept.stage} AS SELECT * FROM ${STAGE}`);
    await client.query(`CREATE UNLOGGED TABLE ${kept.invalid} AS SELECT * FROM ${INVALID}`);
    await client.query(
      `CREATE UNLOGGED TABLE ${kept.state} (secret bytea NOT NULL, fingerprints bytea NOT NULL, claims bytea NOT NULL, suspended_at timestamptz NOT NULL DEFAULT now())`,
    );
    // The claims hold key names, which may hold characters jsonb refuses (NUL): kept as bytes.
    await client.query(
      `INSERT INTO ${kept.state} (secret, fingerprints, claims) VALUES ($1, $2, $3)`,
      [
        snapshot.secret,
        snapshot.fingerprints,
        Buffer.from(JSON.stringify(snapshot.claims), 'utf8'),
      ],
    );
  }

  /**
   * Loads what `suspend` kept under `parts` into this session's tables (after `createTables`)
   * and drops its tables, which is undone if the check's transaction rolls back. Null, with
   * nothing loaded, when they are gone.
   */
  async takeSuspended(client: PoolClient, parts: string): Promise<ScanStateSnapshot | null> {
    const kept = suspendedTables(parts);
    const { rows } = await client.query<{ present: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS present`,
      [kept.stage, kept.invalid, kept.state],
    );
    if (!rows[0].present) return null;
    const state = await client.query<{ secret: Buffer; fingerprints: Buffer; claims: Buffer }>(
      `SELECT secret, fingerprints, claims FROM ${kept.state}`,
    );
    if (state.rows.length !== 1) return null;
    await client.query(`INSERT INTO ${STAGE} SELECT * FROM ${kept.stage}`);
    await client.query(`INSERT INTO ${INVALID} SELECT * FROM ${kept.invalid}`);
    await this.dropSuspended(client, parts);
    const [row] = state.rows;
    return {
      secret: row.secret,
      fingerprints: row.fingerprints,
      claims: JSON.parse(row.claims.toString('utf8')) as ScanStateSnapshot['claims'],
    };
  }

  /** The names (`parts`) of the suspensions kept for longer than `ms`. */
  async suspendedBefore(client: PoolClient, ms: number): Promise<string[]> {
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables
        WHERE schemaname = current_schema() AND tablename ~ '^integrity_check_[0-9a-f]{32}_state$'`,
    );
    const old: string[] = [];
    for (const { tablename } of rows) {
      const parts = tablename.slice('integrity_check_'.length, -'_state'.length);
      const kept = await client.query<{ old: boolean }>(
        `SELECT bool_and(suspended_at < now() - make_interval(secs => $1::float8 / 1000)) AS old
           FROM ${suspendedTables(parts).state}`,
        [ms],
      );
      if (kept.rows[0]?.old === true) old.push(parts);
    }
    return old;
  }

  /** Drops what `suspend` kept under `parts`, if anything. */
  async dropSuspended(client: PoolClient, parts: string): Promise<void> {
    const kept = suspendedTables(parts);
    await client.query(`DROP TABLE IF EXISTS ${kept.stage}, ${kept.invalid}, ${kept.state}`);
  }

  /** COPYs mapped records into the staging table. */
  stage(client: PoolClient, records: StagedTenant[]): Promise<void> {
    return this.merges.stage(client, records, STAGE);
  }

  /** Records keys as known-invalid: their tenants are not "only in PostgreSQL". */
  async recordInvalid(client: PoolClient, keys: string[]): Promise<void> {
    await client.query(`INSERT INTO ${INVALID} (key) SELECT unnest($1::text[])`, [
      keys.map((key) => storableText(key)),
    ]);
  }

  /**
   * Takes the staged records whose subdomain's tenant was migrated from another key out of
   * the comparison, records their keys as invalid, and returns them ordered by key.
   */
  async moveOwnershipConflicts(client: PoolClient): Promise<OwnershipConflict[]> {
    const { rows } = await client.query<OwnershipConflict>(this.sql.moveOwnershipConflicts);
    return rows;
  }

  /** Compares the staged records with the tenants table and keeps what drifted. */
  async findDrift(client: PoolClient): Promise<void> {
    await client.query(`ANALYZE ${STAGE}; ANALYZE ${INVALID}`);
    await client.query(this.sql.findDrift);
  }

  /** Counts the drift by kind, with the tenants and the cleaned-up tenants (after `findDrift`). */
  async countDrift(client: PoolClient): Promise<DriftCounts> {
    const { rows } = await client.query<{
      postgres: number;
      cleaned_up: number;
      only_redis: number;
      only_postgres: number;
      different: number;
    }>(this.sql.countDrift);
    const [row] = rows;
    return {
      postgresTenants: row.postgres,
      cleanedUp: row.cleaned_up,
      onlyInRedis: row.only_redis,
      onlyInPostgres: row.only_postgres,
      different: row.different,
    };
  }

  /**
   * The first `limit` drifts (0: all), ordered by kind then subdomain, with the field-level
   * differences of each (after `findDrift`).
   */
  async listDrift(client: PoolClient, limit: number): Promise<TenantDrift[]> {
    const { rows } = await client.query<{
      kind: TenantDrift['kind'];
      subdomain: string;
      key: string | null;
      fields: FieldDifference[] | null;
      changed_in_postgres: boolean | null;
      changed_in_redis: boolean | null;
    }>(`${this.sql.listDrift}\n    LIMIT ${limit === 0 ? 'ALL' : String(limit)}`);
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
