import { TenantMigrationError } from './tenant-migration.error.js';

/** The PostgreSQL schema has not been created or is behind: run the schema migrations. */
export class SchemaMissingError extends TenantMigrationError {
  readonly code = 'schema-missing';
  readonly kind = 'unavailable' as const;
}
