import { plainToInstance } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsUUID, validateSync } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ConflictPolicy } from '../migration/migration.types.js';
import { InvalidOptionError } from '../errors/index.js';
import {
  OPERATION_KINDS,
  OPERATION_STATUSES,
  type OperationKind,
  type OperationParams,
  type OperationStatus,
} from '../operations/operation.types.js';
import {
  IntegerInRange,
  MAX_BATCH_SIZE,
  MAX_LIMIT,
  MAX_OFFSET,
  QueryInteger,
} from './migration-action.dto.js';

/**
 * `POST /api/admin/operations`: the kind and its parameters, side by side. Which parameters a
 * kind takes is the kind table's; one it does not take is refused, not ignored.
 */
export class CreateOperationDto {
  @ApiProperty({ enum: OPERATION_KINDS })
  @IsIn(OPERATION_KINDS, { message: `kind must be one of: ${OPERATION_KINDS.join(', ')}` })
  kind!: OperationKind;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_BATCH_SIZE,
    description: 'migrate, dry-run.',
  })
  @IsOptional()
  @IntegerInRange(1, MAX_BATCH_SIZE)
  batchSize?: number;

  @ApiPropertyOptional({
    enum: ['keep-postgres', 'overwrite', 'skip'],
    description: 'migrate, dry-run.',
  })
  @IsOptional()
  @IsIn(['keep-postgres', 'overwrite', 'skip'])
  conflictPolicy?: ConflictPolicy;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 100_000,
    description: 'check, report: differences listed (default 1000).',
  })
  @IsOptional()
  @IntegerInRange(0, 100_000)
  limit?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'backup-verify, restore, restore-postgres: the recorded backup.',
  })
  @IsOptional()
  @IsUUID('all', { message: 'backup must be the id (a UUID) of a recorded backup' })
  backup?: string;

  @ApiPropertyOptional({
    description: 'restore, restore-postgres, cleanup: do it for real (otherwise a dry run).',
  })
  @IsOptional()
  @IsBoolean()
  confirm?: boolean;

  @ApiPropertyOptional({ description: 'restore: replace keys that exist with another value.' })
  @IsOptional()
  @IsBoolean()
  overwrite?: boolean;

  @ApiPropertyOptional({ description: 'restore: the confirmation `overwrite` needs.' })
  @IsOptional()
  @IsBoolean()
  confirmOverwrite?: boolean;

  @ApiPropertyOptional({ description: 'backup-verify: compare with live Redis too.' })
  @IsOptional()
  @IsBoolean()
  live?: boolean;

  @ApiPropertyOptional({
    enum: ['redis', 'postgres'],
    description: 'sync-drifted: the side that wins.',
  })
  @IsOptional()
  @IsIn(['redis', 'postgres'])
  prefer?: 'redis' | 'postgres';

  @ApiPropertyOptional({ description: 'sync-drifted, sync-pending: decide and report only.' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10_000, description: 'self-test.' })
  @IsOptional()
  @IntegerInRange(1, 10_000)
  sampleSize?: number;
}

/** The parameters of the request: every member but `kind` that was given. */
export const paramsOf = (body: CreateOperationDto): OperationParams =>
  Object.fromEntries(
    Object.entries(body as unknown as OperationParams).filter(
      ([name, value]) => name !== 'kind' && value !== undefined,
    ),
  );

/**
 * A request to start an operation, checked by the rules `POST /api/admin/operations` applies
 * (the CLI's `operations start` builds the same body from its flags): its kind and parameters,
 * or InvalidOptionError with every rule it breaks (`batchSize must be an integer from 1 to
 * 50000`). Which parameters the kind takes is `OperationsService.start`'s to check.
 */
export const checkOperationRequest = (
  body: Readonly<Record<string, unknown>>,
): { kind: OperationKind; params: OperationParams } => {
  const request = plainToInstance(CreateOperationDto, body);
  const errors = validateSync(request, { whitelist: true, forbidNonWhitelisted: true });
  const broken = errors.flatMap((error) => Object.values(error.constraints ?? {}));
  if (broken.length > 0)
    throw new InvalidOptionError(broken.join('; '), {
      properties: errors.map((error) => error.property),
    });
  return { kind: request.kind, params: paramsOf(request) };
};

/** A page of a list, newest first: `offset` and `limit` (default 50). */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 50 })
  @IsOptional()
  @QueryInteger()
  @IntegerInRange(1, MAX_LIMIT)
  limit = 50;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @QueryInteger()
  @IntegerInRange(0, MAX_OFFSET)
  offset = 0;
}

/** `GET /api/admin/operations?kind=&status=&offset=&limit=`. */
export class OperationListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: OPERATION_KINDS })
  @IsOptional()
  @IsIn(OPERATION_KINDS, { message: `kind must be one of: ${OPERATION_KINDS.join(', ')}` })
  kind?: OperationKind;

  @ApiPropertyOptional({ enum: OPERATION_STATUSES })
  @IsOptional()
  @IsIn(OPERATION_STATUSES, { message: `status must be one of: ${OPERATION_STATUSES.join(', ')}` })
  status?: OperationStatus;
}

/** `GET /api/admin/audit?offset=&limit=`: newest first. */
export class AuditPageQueryDto extends PageQueryDto {}
