import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { Type } from 'class-transformer';
import type { ConflictPolicy } from '../migration/migration.types.js';

export const GET_ACTIONS = ['status', 'runs', 'backups', 'check', 'stats', 'report', 'test'] as const;
/** Restores are deliberately not here: they stay CLI-only. */
export const POST_ACTIONS = ['migrate', 'dry-run', 'validate', 'backup', 'sync', 'cleanup'] as const;

/** `GET /api/admin/migration?action=..`: read-only actions. */
export class MigrationQueryDto {
  @IsIn(GET_ACTIONS, { message: `action must be one of: ${GET_ACTIONS.join(', ')}` })
  action!: (typeof GET_ACTIONS)[number];
}

/** `GET /api/admin/migration/runs/:id/exceptions?bucket=&limit=&offset=`: one page of the quarantine. */
export class ExceptionPageQueryDto {
  @IsOptional() @IsIn(['rejected', 'skipped'])
  bucket?: 'rejected' | 'skipped';

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit = 100;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  offset = 0;
}

/** `POST /api/admin/migration`: actions that run something. */
export class MigrationActionDto {
  @IsIn(POST_ACTIONS, { message: `action must be one of: ${POST_ACTIONS.join(', ')}` })
  action!: (typeof POST_ACTIONS)[number];

  @IsOptional() @IsBoolean()
  dryRun?: boolean;

  @IsOptional() @IsInt() @Min(1) @Max(50_000)
  batchSize?: number;

  @IsOptional() @IsIn(['keep-postgres', 'overwrite', 'skip'])
  conflictPolicy?: ConflictPolicy;

  /** `backup` only: back up the PostgreSQL tenants table instead of the Redis keyspace. */
  @IsOptional() @IsBoolean()
  postgres?: boolean;

  /** `sync` only (required there): the tenant to reconcile. */
  @ValidateIf((body: MigrationActionDto) => body.action === 'sync' || body.subdomain !== undefined)
  @IsString() @MaxLength(253)
  subdomain?: string;

  /** `cleanup` only: delete for real (otherwise the answer is a preview). */
  @IsOptional() @IsBoolean()
  confirm?: boolean;

  /** `sync` only: the side that wins when both changed since the last migration. */
  @IsOptional() @IsIn(['redis', 'postgres'])
  prefer?: 'redis' | 'postgres';
}

/**
 * The properties each action accepts beside `action`; another one is refused rather than
 * ignored (a `backup` with `dryRun` would otherwise silently write a backup).
 */
export const ACTION_PROPERTIES: Record<(typeof POST_ACTIONS)[number], readonly (keyof MigrationActionDto)[]> = {
  migrate: ['dryRun', 'batchSize', 'conflictPolicy'],
  'dry-run': ['dryRun', 'batchSize', 'conflictPolicy'],
  validate: ['dryRun', 'batchSize', 'conflictPolicy'],
  backup: ['postgres'],
  sync: ['subdomain', 'prefer', 'dryRun'],
  cleanup: ['confirm'],
};

/** The properties of the body that its action does not accept. */
export const misplacedProperties = (body: MigrationActionDto): string[] =>
  (Object.keys(body) as (keyof MigrationActionDto)[]).filter(
    (key) => key !== 'action' && body[key] !== undefined && !ACTION_PROPERTIES[body.action].includes(key),
  );
