import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

/**
 * The answers of the admin API as OpenAPI schemas: documentation only (nothing here builds or
 * checks an answer). A nested report whose members the README describes is an open object here.
 */

/** An RFC 9457 problem document: every 4xx and 503 of the admin API. */
export class ProblemDocumentResponse {
  @ApiProperty({ example: 'about:blank' }) type!: string;
  @ApiProperty({ example: 'Service Unavailable' }) title!: string;
  @ApiProperty({ example: 503 }) status!: number;
  @ApiProperty({ description: 'One line.' }) detail!: string;
  @ApiProperty({ description: 'Stable machine-readable name.', example: 'store-unavailable' })
  code!: string;
  @ApiProperty({ description: 'The earlier JSON error member.' }) statusCode!: number;
  @ApiProperty({ description: 'The earlier JSON error member.' }) error!: string;
  @ApiProperty({
    description: 'The earlier JSON error member: one message or a list.',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
  })
  message!: string | string[];
}

/** A recorded migration run (`migration_runs` row). */
export class MigrationRunResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['migrate', 'dry-run', 'validate'] }) kind!: string;
  @ApiProperty({
    enum: ['running', 'completed', 'failed', 'interrupted', 'abandoned', 'cancelled'],
  })
  status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Key counts.' })
  counts!: Record<string, unknown>;
}

/** `action=status`. */
export class LastRunResponse {
  @ApiProperty({ type: MigrationRunResponse, nullable: true })
  lastRun!: MigrationRunResponse | null;
}

/** `action=runs`: the newest 20. */
export class RunsResponse {
  @ApiProperty({ type: [MigrationRunResponse] }) runs!: MigrationRunResponse[];
}

/** A recorded backup. */
export class BackupResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['redis', 'postgres'] }) kind!: string;
  @ApiProperty() path!: string;
  @ApiProperty() scope!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) source!: Record<string, unknown>;
  @ApiProperty() entryCount!: number;
  @ApiProperty() totalBytes!: number;
  @ApiProperty() checksum!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) verifiedAt!: string | null;
  @ApiPropertyOptional() durationMs?: number;
}

/** `action=backups`: the newest 20. */
export class BackupsResponse {
  @ApiProperty({ type: [BackupResponse] }) backups!: BackupResponse[];
}

/**
 * A report the README describes member by member: `action=check`, `stats`, `report` and `test`;
 * `POST` validate, dry-run and cleanup.
 */
export const REPORT_SCHEMA: SchemaObject = { type: 'object', additionalProperties: true };

/** A quarantined key. */
export class QuarantinedKeyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ enum: ['rejected', 'skipped'] }) bucket!: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  reasons!: unknown[];
  @ApiProperty({ nullable: true, type: String }) valueSha256!: string | null;
  @ApiProperty({ nullable: true, type: Number }) valueSize!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'byte' })
  valuePrefixBase64!: string | null;
}

/** One page of a run's quarantine. */
export class ExceptionPageResponse {
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'The keys that match the filters.' }) total!: number;
  @ApiPropertyOptional({ enum: ['rejected', 'skipped'] }) bucket?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() subdomain?: string;
  @ApiProperty({ type: [QuarantinedKeyResponse] }) exceptions!: QuarantinedKeyResponse[];
}

/** `POST {"action":"sync"}`. */
export class SyncResponse {
  @ApiProperty() subdomain!: string;
  @ApiProperty() key!: string;
  @ApiProperty() direction!: string;
  @ApiProperty() change!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() dryRun!: boolean;
}

/** `POST {"action":"migrate"}`: the run started in the background. */
export class StartedRunResponse {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Null while no worker has taken the operation (an app that only enqueues).',
  })
  runId!: string | null;
  @ApiProperty() resumed!: boolean;
  @ApiProperty({ enum: ['running', 'queued'] }) status!: string;
  @ApiProperty({ format: 'uuid', description: 'The operation that runs it.' }) operationId!: string;
}
