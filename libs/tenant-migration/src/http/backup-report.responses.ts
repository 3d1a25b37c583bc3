import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  type BackupVerifyReport,
  type LiveComparison,
  type PostgresRestoreReport,
  type RedisRestoreReport,
} from '../backup/backup.types.js';

import { documents, BACKUP_KINDS, RESTORE_OUTCOMES, LIVE_STATES } from './schema-rules.js';
import { BackupResponse, BackupSourceResponse } from './admin-api.responses.js';

/** What a backup verification and a restore answer, as OpenAPI schemas. */
/** The first line of a backup file. */
export class BackupHeaderResponse {
  @ApiProperty({ enum: [BACKUP_FORMAT] }) format!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: BACKUP_KINDS }) kind!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: BackupSourceResponse }) source!: BackupSourceResponse;
  @ApiProperty({ description: 'Redis: the key prefix. PostgreSQL: the table.' }) scope!: string;
  @ApiPropertyOptional({ type: [String], description: 'PostgreSQL: the COPY column list.' })
  columns?: string[];
}
documents<BackupHeader>()(BackupHeaderResponse);

/** A key where the backup and live Redis part. */
export class LiveComparisonSampleResponse {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: LIVE_STATES }) state!: string;
}
documents<LiveComparison['samples'][number]>()(LiveComparisonSampleResponse);

/** A backup compared with live Redis. */
export class LiveComparisonResponse {
  @ApiProperty({ type: 'integer', description: 'In the backup, gone from Redis.' })
  missing!: number;
  @ApiProperty({ type: 'integer', description: 'In Redis, not in the backup.' }) extra!: number;
  @ApiProperty({ type: 'integer', description: 'Another value, type or TTL presence.' })
  changed!: number;
  @ApiProperty({ type: 'integer' }) unchanged!: number;
  @ApiProperty({ type: [LiveComparisonSampleResponse] })
  samples!: LiveComparisonSampleResponse[];
}
documents<LiveComparison>()(LiveComparisonResponse);

/** A backup file verified (`BackupVerifyReport`). */
export class BackupVerifyReportResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty() path!: string;
  @ApiProperty({
    type: BackupResponse,
    nullable: true,
    description: 'The recorded backup, when this system recorded the file.',
  })
  backup!: BackupResponse | null;
  @ApiProperty({ type: BackupHeaderResponse, nullable: true })
  header!: BackupHeaderResponse | null;
  @ApiProperty({ type: 'integer' }) entries!: number;
  @ApiProperty({ nullable: true, type: String }) checksum!: string | null;
  @ApiProperty({ type: [String] }) problems!: string[];
  @ApiPropertyOptional({ type: LiveComparisonResponse, description: 'With `live`.' })
  live?: LiveComparisonResponse;
}
documents<BackupVerifyReport>()(BackupVerifyReportResponse);

/** A key restored (in a dry run: that would be), or why not. */
export class RestoreSampleResponse {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: RESTORE_OUTCOMES }) outcome!: string;
}
documents<RedisRestoreReport['samples'][number]>()(RestoreSampleResponse);

/** A Redis backup restored (`RedisRestoreReport`). */
export class RedisRestoreReportResponse {
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ format: 'uuid' }) backupId!: string;
  @ApiProperty({ description: 'The target Redis, without credentials.' }) target!: string;
  @ApiProperty({ type: 'integer' }) entries!: number;
  @ApiProperty({ type: 'integer' }) restored!: number;
  @ApiProperty({ type: 'integer' }) unchanged!: number;
  @ApiProperty({ type: 'integer', description: 'Existing keys with another value, left alone.' })
  conflicts!: number;
  @ApiProperty({ type: 'integer' }) overwritten!: number;
  @ApiProperty({ type: 'integer', description: 'Keys whose TTL ran out: not restored.' })
  expired!: number;
  @ApiProperty({ type: [RestoreSampleResponse] }) samples!: RestoreSampleResponse[];
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
documents<RedisRestoreReport>()(RedisRestoreReportResponse);

/** A PostgreSQL backup restored (`PostgresRestoreReport`). */
export class PostgresRestoreReportResponse {
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ format: 'uuid' }) backupId!: string;
  @ApiProperty() table!: string;
  @ApiProperty({ type: 'integer' }) rowsInBackup!: number;
  @ApiProperty({ type: 'integer' }) rowsReplaced!: number;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
documents<PostgresRestoreReport>()(PostgresRestoreReportResponse);
