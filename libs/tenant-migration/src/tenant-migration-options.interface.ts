import type { ConflictPolicy } from './migration/migration.types.js';
import type { ValidationSettings } from './validation/validation.types.js';
import type { TableNames } from './database/table-names.js';
import type { OperationsSettings } from './operations/operation.types.js';

/**
 * Which store the resolver reads first during the transition, or whether Redis is read at all.
 * `postgres-first` (default): PostgreSQL, then Redis with on-the-fly migration. `redis-first`:
 * Redis as the authority (before the migration), then PostgreSQL. `postgres-only`: after
 * cutover.
 */
export type ResolverMode = 'postgres-first' | 'redis-first' | 'postgres-only';

/** Options of `TenantMigrationModule.forRoot` / `forRootAsync`. Every field has a default. */
export interface TenantMigrationModuleOptions {
  /** Prefix of tenant keys in Redis. Default `subdomain:`. */
  keyPrefix?: string;
  /** Keys per batch (one SCAN group, one COPY, one transaction). Default 2000. */
  batchSize?: number;
  /** Values larger than this are rejected without being fetched. Default 65536 bytes. */
  maxValueBytes?: number;
  /** What a migration does when PostgreSQL changed a tenant after it was migrated. Default `keep-postgres`. */
  conflictPolicy?: ConflictPolicy;
  /** Validation rules and the defaults legacy tenants get (category, plan, status, flags). */
  validation?: Partial<ValidationSettings>;
  /** Folder of new backup files (relative to the working directory). Default `backups`. */
  backupDir?: string;
  /**
   * The fallback resolver: where it looks first (default `postgres-first`), how long it keeps
   * found tenants in memory (`cacheTtlMs`, default 0: no cache; `invalidate()` drops them) and
   * how many at most (`cacheMaxEntries`, default 10000, least recently used evicted first).
   * Misses are never cached.
   */
  resolver?: { mode?: ResolverMode; cacheTtlMs?: number; cacheMaxEntries?: number };
  /**
   * `TenantService` writes: also write each tenant's legacy-compatible value back to Redis
   * (default off), waiting at most `timeoutMs` (default 2000) for Redis before queueing it.
   */
  writeBack?: { enabled?: boolean; timeoutMs?: number };
  /**
   * Names of the library's tables (defaults: `tenants`, `migration_runs`, ...), optionally
   * schema-qualified. The host's DataSource must create them with the same names:
   * `tenantMigrationSchemaMigrations(tables)`.
   */
  tables?: Partial<TableNames>;
  /**
   * Long tasks as durable operations on a pg-boss queue in the same database. `mode`:
   * `worker` (default: run queued operations in this process too), `enqueue` (queue only;
   * workers elsewhere run them), `client` (queue on demand, run and sweep nothing: a process
   * that only reads or starts operations). `heartbeatMs` (2000),
   * `staleMs` (15000: an operation without a heartbeat that long is `interrupted`),
   * `concurrency` (2 operations at once per worker), `queueSchema` (`tenant_migrate_jobs`),
   * `schedules` (none: `[{ kind: 'check', cron: '0 3 * * *', tz: 'Europe/Paris' }]` starts a
   * `check` operation every day at 03:00 Paris time, actor `schedule`; kinds `check` and
   * `sync-pending`, one schedule each).
   */
  operations?: Partial<OperationsSettings>;
}

/** The options with every default applied. */
export interface ResolvedTenantMigrationOptions {
  keyPrefix: string;
  batchSize: number;
  maxValueBytes: number;
  conflictPolicy: ConflictPolicy;
  validation: ValidationSettings;
  backupDir: string;
  resolver: { mode: ResolverMode; cacheTtlMs: number; cacheMaxEntries: number };
  writeBack: { enabled: boolean; timeoutMs: number };
  /** Checked identifiers: safe to write into SQL as they are. */
  tables: TableNames;
  operations: OperationsSettings;
}
