import { InvalidOptionError } from '../errors/index.js';

/**
 * The names of the library's tables. Each is a lower-case SQL identifier, optionally
 * qualified by a schema (`tenancy.tenants`), so it can be written into SQL as it is. Index,
 * trigger and function names are derived from them (`<table>_...`, in the table's schema), so
 * two sets of names never collide.
 */
export interface TableNames {
  tenants: string;
  migrationRuns: string;
  migrationExceptions: string;
  backups: string;
  redisCleanups: string;
  redisWriteBacks: string;
  auditLog: string;
  /** Tenants deleted in PostgreSQL, so a writer that read Redis before the delete cannot bring them back. */
  tenantTombstones: string;
  /** The keyed fingerprints of the keys each batch of a run accounted for (exact resume). */
  migrationRunKeys: string;
  /** Long tasks run as jobs: kind, parameters, actor, status, progress, result, heartbeat. */
  operations: string;
  /** What each operation reported, in order: the server-sent event stream of its progress. */
  operationEvents: string;
}

export const DEFAULT_TABLE_NAMES: Readonly<TableNames> = Object.freeze({
  tenants: 'tenants',
  migrationRuns: 'migration_runs',
  migrationExceptions: 'migration_exceptions',
  backups: 'backups',
  redisCleanups: 'redis_cleanups',
  redisWriteBacks: 'redis_write_backs',
  auditLog: 'audit_log',
  tenantTombstones: 'tenant_tombstones',
  migrationRunKeys: 'migration_run_keys',
  operations: 'tenant_operations',
  operationEvents: 'tenant_operation_events',
});

const IDENTIFIER = '[a-z_][a-z0-9_]{0,62}';
const TABLE_NAME = new RegExp(`^(?:${IDENTIFIER}\\.)?${IDENTIFIER}$`);

/** The names with defaults applied; refuses a name that is not a plain identifier, or a repeated one. */
export const resolveTableNames = (given: Partial<TableNames> = {}): TableNames => {
  const names: TableNames = { ...DEFAULT_TABLE_NAMES };
  for (const [table, name] of Object.entries(given) as [keyof TableNames, string | undefined][]) {
    if (!(table in DEFAULT_TABLE_NAMES)) {
      throw new InvalidOptionError(
        `tables.${table} is not a table of the library; tables: ${Object.keys(DEFAULT_TABLE_NAMES).join(', ')}`,
        { option: 'tables' },
      );
    }
    if (name === undefined) continue;
    // `excluded` names the proposed row inside ON CONFLICT; a table of that bare name would be ambiguous there.
    if (typeof name !== 'string' || !TABLE_NAME.test(name) || name === 'excluded') {
      throw new InvalidOptionError(
        `tables.${table} must be a lower-case SQL identifier, optionally schema-qualified (e.g. tenancy.tenants), got ${JSON.stringify(name)}`,
        {
          option: `tables.${table}`,
        },
      );
    }
    names[table] = name;
  }
  if (new Set(Object.values(names)).size !== Object.keys(names).length)
    throw new InvalidOptionError('tables: every table needs a name of its own', {
      option: 'tables',
    });
  return names;
};

/** The table name without its schema: the stem of derived names (indexes, triggers). */
export const unqualified = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/** The schema prefix of a name (`tenancy.`), or '' for an unqualified one: for derived functions. */
export const schemaOf = (name: string): string => name.slice(0, name.lastIndexOf('.') + 1);

/** Creates the schemas the given names are qualified with (a migration step; none for plain names). */
export const createSchemasOf = async (
  runner: { query(sql: string): Promise<unknown> },
  names: string[],
): Promise<void> => {
  for (const schema of new Set(names.map(schemaOf).filter(Boolean)))
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${schema.slice(0, -1)}`);
};
