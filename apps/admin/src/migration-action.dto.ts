import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import type { ConflictPolicy } from '#tenant-migration';

export const GET_ACTIONS = ['status', 'runs'] as const;
export const POST_ACTIONS = ['migrate', 'dry-run', 'validate'] as const;

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
}
