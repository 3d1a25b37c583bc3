import {
  IsBoolean,
  IsIn,
  IsOptional,
  ValidateBy,
  type ValidationArguments,
  ValidateIf,
} from 'class-validator';
import { Transform } from 'class-transformer';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConflictPolicy } from '../migration/migration.types.js';
import { exceptionFilterProblem } from '../migration/migration-runs.service.js';

/**
 * The largest offset into a run's quarantine: the largest integer a JavaScript number holds
 * exactly (and well inside PostgreSQL's bigint), so the value checked is the value queried.
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
export const MAX_LIMIT = 1000;
export const MAX_BATCH_SIZE = 50_000;

/**
 * The subdomain a request names: one rule, so a missing, mistyped or overlong one gets one
 * message in the caller's terms (not "must be shorter than or equal to 253 characters" for a
 * subdomain that was never given). Its syntax is checked by the service, with every reason.
 */
const SubdomainInput = (): PropertyDecorator =>
  ValidateBy({
    name: 'subdomainInput',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.length > 0 && value.length <= 253,
      defaultMessage: ({ value }: ValidationArguments) => {
        if (value === undefined || value === null || value === '')
          return 'sync needs the tenant to reconcile: {"action":"sync","subdomain":"<name>"}';
        if (typeof value !== 'string')
          return `subdomain must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`;
        return `subdomain must be at most 253 characters (it has ${value.length})`;
      },
    },
  });

/**
 * A safe integer within [min, max]. One rule per parameter, so a bad value gets one message
 * that names the parameter and its range (an unbounded one reached PostgreSQL as a bigint out of
 * range, a 500).
 */
export const IntegerInRange = (min: number, max: number): PropertyDecorator =>
  ValidateBy({
    name: 'integerInRange',
    constraints: [min, max],
    validator: {
      validate: (value: unknown) =>
        typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
      defaultMessage: ({ property, value }: ValidationArguments) => {
        const range = `an integer from ${min} to ${max}`;
        if (typeof value !== 'number' || !Number.isInteger(value))
          return `${property} must be ${range}`;
        return value < min
          ? `${property} must not be less than ${min} (${range})`
          : `${property} must not be greater than ${max} (${range})`;
      },
    },
  });

/**
 * A query parameter's digits as a number; anything else stays as it came, for the range rule to
 * refuse. `Number()` alone would read '' as 0, '0x10' as 16 and ' 5 ' as 5.
 */
export const QueryInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,300}$/.test(value) ? Number(value) : value,
  );

export const GET_ACTIONS = [
  'status',
  'runs',
  'backups',
  'check',
  'stats',
  'report',
  'test',
] as const;
/** Restores are deliberately not here: they stay CLI-only. */
export const POST_ACTIONS = [
  'migrate',
  'dry-run',
  'validate',
  'backup',
  'sync',
  'cleanup',
] as const;

/**
 * The query of a route that takes no parameters. Declared on such a route all the same, so that
 * the strict pipe sees its query and refuses any parameter as an unknown property (a route that
 * never asks for its query would ignore `?x=1`).
 */
export class NoQueryDto {}

/** `GET /api/admin/migration?action=..`: read-only actions. */
export class MigrationQueryDto {
  @ApiProperty({ enum: GET_ACTIONS })
  @IsIn(GET_ACTIONS, { message: `action must be one of: ${GET_ACTIONS.join(', ')}` })
  action!: (typeof GET_ACTIONS)[number];
}

/** A quarantine filter's rule, in the words the CLI uses for it too. */
const ExceptionFilter = (name: 'reason' | 'subdomain'): PropertyDecorator =>
  ValidateBy({
    name: 'exceptionFilter',
    validator: {
      validate: (value: unknown) => exceptionFilterProblem(name, value) === null,
      defaultMessage: ({ value }: ValidationArguments) =>
        exceptionFilterProblem(name, value) ?? `${name} is invalid`,
    },
  });

/**
 * `GET /api/admin/migration/runs/:id/exceptions/export?bucket=&reason=&subdomain=`: which of
 * the quarantine to read (see `ExceptionFilters`).
 */
export class ExceptionFilterQueryDto {
  @ApiPropertyOptional({ enum: ['rejected', 'skipped'] })
  @IsOptional()
  @IsIn(['rejected', 'skipped'])
  bucket?: 'rejected' | 'skipped';

  declare reason?: string;
  declare subdomain?: string;
}
// Declared, not defined: an absent filter is no member of the query at all (a class field
// would be one, undefined). Their rules are therefore applied here rather than as decorators.
for (const name of ['reason', 'subdomain'] as const) {
  ApiPropertyOptional({ type: String })(ExceptionFilterQueryDto.prototype, name);
  IsOptional()(ExceptionFilterQueryDto.prototype, name);
  ExceptionFilter(name)(ExceptionFilterQueryDto.prototype, name);
}

/** `GET /api/admin/migration/runs/:id/exceptions?bucket=&reason=&subdomain=&limit=&offset=`: one page of the quarantine. */
export class ExceptionPageQueryDto extends ExceptionFilterQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 })
  @IsOptional()
  @QueryInteger()
  @IntegerInRange(1, MAX_LIMIT)
  limit = 100;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @QueryInteger()
  @IntegerInRange(0, MAX_OFFSET)
  offset = 0;
}

/** `POST /api/admin/migration`: actions that run something. */
export class MigrationActionDto {
  @ApiProperty({ enum: POST_ACTIONS })
  @IsIn(POST_ACTIONS, { message: `action must be one of: ${POST_ACTIONS.join(', ')}` })
  action!: (typeof POST_ACTIONS)[number];

  @ApiPropertyOptional({ description: 'migrate, dry-run, validate, sync.' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_BATCH_SIZE })
  @IsOptional()
  @IntegerInRange(1, MAX_BATCH_SIZE)
  batchSize?: number;

  @ApiPropertyOptional({ enum: ['keep-postgres', 'overwrite', 'skip'] })
  @IsOptional()
  @IsIn(['keep-postgres', 'overwrite', 'skip'])
  conflictPolicy?: ConflictPolicy;

  /** `backup` only: back up the PostgreSQL tenants table instead of the Redis keyspace. */
  @ApiPropertyOptional({ description: 'backup only.' })
  @IsOptional()
  @IsBoolean()
  postgres?: boolean;

  /** `sync` only (required there): the tenant to reconcile. */
  @ApiPropertyOptional({ maxLength: 253, description: 'sync only (required there).' })
  @ValidateIf((body: MigrationActionDto) => body.action === 'sync' || body.subdomain !== undefined)
  @SubdomainInput()
  subdomain?: string;

  /** `cleanup` only: delete for real (otherwise the answer is a preview). */
  @ApiPropertyOptional({ description: 'cleanup only.' })
  @IsOptional()
  @IsBoolean()
  confirm?: boolean;

  /** `sync` only: the side that wins when both changed since the last migration. */
  @ApiPropertyOptional({ enum: ['redis', 'postgres'], description: 'sync only.' })
  @IsOptional()
  @IsIn(['redis', 'postgres'])
  prefer?: 'redis' | 'postgres';
}

/**
 * The properties each action accepts beside `action`; another one is refused rather than
 * ignored (a `backup` with `dryRun` would otherwise silently write a backup).
 */
export const ACTION_PROPERTIES: Record<
  (typeof POST_ACTIONS)[number],
  readonly (keyof MigrationActionDto)[]
> = {
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
    (key) =>
      key !== 'action' && body[key] !== undefined && !ACTION_PROPERTIES[body.action].includes(key),
  );
