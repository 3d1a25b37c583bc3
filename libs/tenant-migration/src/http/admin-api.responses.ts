import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type BackupSource, type BackupSummary } from '../backup/backup.types.js';

import type { SyncResult } from '../integrity/sync.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ExceptionSample } from '../migration/migration-request.types.js';
import type {
  MigrationCheckpoint,
  MigrationCounts,
  MigrationRunKind,
  MigrationRunOptions,
  MigrationRunStatus,
} from '../migration/migration.types.js';
import type { MigrationRunEntity } from '../migration/migration-run.entity.js';

import {
  documents,
  literals,
  CONFLICT_POLICIES,
  EXCEPTION_BUCKETS,
  BACKUP_KINDS,
  SYNC_DIRECTIONS,
  SYNC_CHANGES,
  CountsByCode,
} from './schema-rules.js';

/**
 * The answers of the admin API as OpenAPI schemas: documentation only (nothing here builds or
 * checks an answer). Each report class lists the members of the TypeScript type it documents,
 * and `documents` below makes the build fail when the two differ (test/openapi.e2e-spec.ts
 * compares the schemas with real answers too).
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

/** `action=status`. */
export class LastRunResponse {
  @ApiProperty({ type: () => MigrationRunResponse, nullable: true })
  lastRun!: MigrationRunResponse | null;
}

/** `action=runs`: the newest 20. */
export class RunsResponse {
  @ApiProperty({ type: () => [MigrationRunResponse] }) runs!: MigrationRunResponse[];
}

/** Where a backup came from, without credentials. */
export class BackupSourceResponse {
  @ApiProperty() host!: string;
  @ApiProperty({ type: 'integer' }) port!: number;
  @ApiProperty({ description: 'Redis database number, or PostgreSQL database name.' })
  database!: string;
}
documents<BackupSource>()(BackupSourceResponse);

/** A recorded backup (`BackupSummary`). */
export class BackupResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: BACKUP_KINDS }) kind!: string;
  @ApiProperty() path!: string;
  @ApiProperty() scope!: string;
  @ApiProperty({ type: BackupSourceResponse }) source!: BackupSourceResponse;
  @ApiProperty() entryCount!: number;
  @ApiProperty() totalBytes!: number;
  @ApiProperty() checksum!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) verifiedAt!: string | null;
  @ApiPropertyOptional() durationMs?: number;
}
documents<BackupSummary>()(BackupResponse);

/** `action=backups`: the newest 20. */
export class BackupsResponse {
  @ApiProperty({ type: [BackupResponse] }) backups!: BackupResponse[];
}

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

/** `POST {"action":"sync"}`: one tenant synced (`SyncResult`). */
export class SyncResponse {
  @ApiProperty() subdomain!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ enum: SYNC_DIRECTIONS }) direction!: string;
  @ApiProperty({ enum: SYNC_CHANGES, description: 'What was done (in a dry run: would be).' })
  change!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() dryRun!: boolean;
}
documents<SyncResult>()(SyncResponse);

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

/** Why one key was rejected or skipped. */
export class OutcomeReasonResponse {
  @ApiProperty({ description: 'Stable and machine-readable.', example: 'invalid-json' })
  code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: 'The field at fault, when one is.' }) field?: string;
}
documents<OutcomeReason>()(OutcomeReasonResponse);

/** The accounting of a run: scanned = migrated + unchanged + skipped + rejected. */
export class MigrationCountsResponse {
  @ApiProperty({ type: 'integer' }) scanned!: number;
  @ApiProperty({ type: 'integer', description: 'created + updated.' }) migrated!: number;
  @ApiProperty({ type: 'integer' }) created!: number;
  @ApiProperty({ type: 'integer' }) updated!: number;
  @ApiProperty({ type: 'integer' }) unchanged!: number;
  @ApiProperty({ type: 'integer' }) skipped!: number;
  @ApiProperty({ type: 'integer' }) rejected!: number;
  @ApiProperty({ type: 'integer' }) conflicts!: number;
  @CountsByCode('Skipped keys by reason code.')
  skippedByReason!: Record<string, number>;
  @CountsByCode('Rejected keys by reason code.')
  rejectedByReason!: Record<string, number>;
  @ApiProperty({ type: 'integer', description: 'Accepted values normalised on the way.' })
  normalized!: number;
  @CountsByCode('Normalised values by note code.')
  normalizedByNote!: Record<string, number>;
  @ApiProperty({
    type: 'integer',
    description: 'Keys SCAN listed again after they were accounted for (not in `scanned`).',
  })
  repeated!: number;
}
documents<MigrationCounts>()(MigrationCountsResponse);

/** A rejected or skipped key with its reasons. */
export class ExceptionSampleResponse {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: EXCEPTION_BUCKETS }) bucket!: string;
  @ApiProperty({ type: [OutcomeReasonResponse] }) reasons!: OutcomeReasonResponse[];
}
documents<ExceptionSample>()(ExceptionSampleResponse);

/** The options a run used. */
export class MigrationRunOptionsResponse {
  @ApiProperty() prefix!: string;
  @ApiProperty({ type: 'integer' }) batchSize!: number;
  @ApiProperty({ enum: CONFLICT_POLICIES }) conflictPolicy!: string;
  @ApiPropertyOptional({ description: 'The one tenant a single-tenant sync ran on.' })
  subdomain?: string;
}
documents<MigrationRunOptions>()(MigrationRunOptionsResponse);

/** Where a run's last committed batch left it (its fingerprint secret is never shown). */
export class MigrationCheckpointResponse {
  @ApiProperty({ description: "The SCAN cursor after the last committed batch; '0' once done." })
  cursor!: string;
  @ApiProperty({ type: 'integer' }) batches!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'The Redis `run_id` that issued the cursor.',
  })
  server?: string | null;
}
documents<Omit<MigrationCheckpoint, 'secret'>>()(MigrationCheckpointResponse);

/** A recorded migration run (`migration_runs` row), as `shownRun` shows it. */
export class MigrationRunResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: literals<MigrationRunKind>()(['migrate', 'dry-run', 'validate']) })
  kind!: string;
  @ApiProperty({
    enum: literals<MigrationRunStatus>()([
      'running',
      'completed',
      'failed',
      'interrupted',
      'abandoned',
      'cancelled',
    ]),
  })
  status!: string;
  @ApiProperty({ type: MigrationRunOptionsResponse }) options!: MigrationRunOptionsResponse;
  @ApiProperty({ type: MigrationCountsResponse }) counts!: MigrationCountsResponse;
  @ApiProperty({ type: MigrationCheckpointResponse, nullable: true })
  checkpoint!: MigrationCheckpointResponse | null;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) heartbeatAt!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) durationMs!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}
documents<MigrationRunEntity>()(MigrationRunResponse);
