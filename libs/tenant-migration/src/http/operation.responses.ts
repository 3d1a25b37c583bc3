import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { OPERATION_KINDS, OPERATION_STATUSES } from '../operations/operation.types.js';
import type { AuditLogEntity } from '../audit/audit-log.entity.js';
import { BackupResponse } from './admin-api.responses.js';
import { documents } from './schema-rules.js';
import {
  CleanupResultResponse,
  IntegrityReportResponse,
  MigrationReportResponse,
  MigrationResultResponse,
  SelfTestReportResponse,
  SyncAllResultResponse,
  ValidationReportResponse,
} from './report.responses.js';
import {
  BackupVerifyReportResponse,
  PostgresRestoreReportResponse,
  RedisRestoreReportResponse,
} from './backup-report.responses.js';

/**
 * What an operation's task answers, each kind its own (see `OPERATION_KIND_SPECS`): migrate and
 * dry-run a run's result, validate a validation report, check an integrity report, report the
 * stats and a check, backup and backup-postgres the recorded backup, backup-verify a
 * verification, restore and restore-postgres a restore report, cleanup a cleanup result,
 * sync-drifted and sync-pending a sync of many tenants, self-test the self-test's report.
 * The operations controller registers them (`ApiExtraModels`).
 */
export const OPERATION_RESULTS = [
  MigrationResultResponse,
  ValidationReportResponse,
  IntegrityReportResponse,
  MigrationReportResponse,
  BackupResponse,
  BackupVerifyReportResponse,
  RedisRestoreReportResponse,
  PostgresRestoreReportResponse,
  CleanupResultResponse,
  SyncAllResultResponse,
  SelfTestReportResponse,
] as const;

/** An operation's progress. */
export class OperationProgressResponse {
  @ApiProperty({ example: 'migrating' }) phase!: string;
  @ApiProperty({ enum: ['keys', 'entries'], description: 'What done and total count.' })
  unit!: 'keys' | 'entries';
  @ApiProperty() done!: number;
  @ApiProperty({ nullable: true, type: Number }) total!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } })
  counts!: Record<string, number>;
  @ApiProperty({ nullable: true, type: Number, description: 'Items a second.' }) rate!:
    number | null;
  @ApiProperty({ nullable: true, type: Number }) etaSeconds!: number | null;
}

/** Why an operation failed, stopped or was interrupted. */
export class OperationErrorResponse {
  @ApiProperty() code!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  context?: Record<string, unknown>;
}

/** One operation. */
export class OperationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: OPERATION_KINDS }) kind!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) actor!: string | null;
  @ApiProperty({ enum: OPERATION_STATUSES }) status!: string;
  @ApiProperty({ type: OperationProgressResponse, nullable: true })
  progress!: OperationProgressResponse | null;
  @ApiProperty({
    oneOf: OPERATION_RESULTS.map((result) => ({ $ref: getSchemaPath(result) })),
    nullable: true,
    description: 'What the task answered, once it succeeded: the report of its kind.',
  })
  result!: object | null;
  @ApiProperty({ type: OperationErrorResponse, nullable: true })
  error!: OperationErrorResponse | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) runId!: string | null;
  @ApiProperty({ nullable: true, type: String }) exclusiveScope!: string | null;
  @ApiProperty({ nullable: true, type: String, description: '`<host>:<pid>`' }) worker!:
    string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) heartbeatAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class OperationPageResponse {
  @ApiProperty({ type: [OperationResponse] }) operations!: OperationResponse[];
  @ApiProperty({ description: 'Operations matching the filters.' }) total!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } })
  byStatus!: Record<string, number>;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

export class AuditEntryResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: String }) actor!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ enum: ['succeeded', 'failed'] }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) outcome!: Record<string, unknown>;
}
documents<AuditLogEntity>()(AuditEntryResponse);

export class AuditPageResponse {
  @ApiProperty({ type: [AuditEntryResponse] }) entries!: AuditEntryResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}
