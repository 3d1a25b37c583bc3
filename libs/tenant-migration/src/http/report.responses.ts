import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import type { CleanupResult } from '../integrity/cleanup.types.js';
import type {
  FieldDifference,
  IntegrityReport,
  InvalidRedisRecord,
  TenantDrift,
} from '../integrity/integrity.types.js';
import type { MigrationReport, MigrationStats } from '../integrity/report.types.js';
import type { SyncAllResult } from '../integrity/sync.types.js';

import type { MigrationResult, ValidationReport } from '../migration/migration-request.types.js';

import {
  SELF_TEST_NAMES,
  type SelfTestReport,
  type SelfTestResult,
} from '../self-test/self-test.types.js';
import {
  documents,
  DRIFT_KINDS,
  RUN_STATUSES,
  CLEANUP_OUTCOMES,
  CLEANUP_KEEP_REASONS,
  CountsByCode,
  AnyValue,
} from './schema-rules.js';
import {
  BackupResponse,
  ExceptionSampleResponse,
  MigrationCountsResponse,
  MigrationRunOptionsResponse,
  OutcomeReasonResponse,
  SyncResponse,
} from './admin-api.responses.js';

/** The reports of the admin API's actions and operations, as OpenAPI schemas (see admin-api.responses.ts). */
/** A completed migration or dry run (`MigrationResult`). */
export class MigrationResultResponse {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Null for a dry run, which records nothing.',
  })
  runId!: string | null;
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ enum: ['completed'] }) status!: string;
  @ApiProperty({ type: MigrationCountsResponse }) counts!: MigrationCountsResponse;
  @ApiProperty({ description: 'scanned = migrated + unchanged + skipped + rejected.' })
  balanced!: boolean;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
  @ApiProperty({ type: 'integer', description: 'Keys a second.' }) rate!: number;
  @ApiProperty() resumed!: boolean;
  @ApiProperty({
    type: MigrationRunOptionsResponse,
    description: 'A resumed run keeps the options it started with.',
  })
  options!: MigrationRunOptionsResponse;
  @ApiProperty({
    type: [ExceptionSampleResponse],
    description: 'The first rejected or skipped keys.',
  })
  samples!: ExceptionSampleResponse[];
}
documents<MigrationResult>()(MigrationResultResponse);

/** `POST {"action":"validate"}`: valid + rejected + skipped = scanned (`ValidationReport`). */
export class ValidationReportResponse {
  @ApiProperty({ type: 'integer' }) scanned!: number;
  @ApiProperty({ type: 'integer' }) valid!: number;
  @ApiProperty({ type: 'integer' }) rejected!: number;
  @ApiProperty({ type: 'integer' }) skipped!: number;
  @ApiProperty({ type: 'integer' }) normalized!: number;
  @CountsByCode() normalizedByNote!: Record<string, number>;
  @CountsByCode() rejectedByReason!: Record<string, number>;
  @CountsByCode() skippedByReason!: Record<string, number>;
  @ApiProperty() balanced!: boolean;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
  @ApiProperty({ type: [ExceptionSampleResponse] }) samples!: ExceptionSampleResponse[];
}
documents<ValidationReport>()(ValidationReportResponse);

/** A mapped tenant field that differs between the stores. */
export class FieldDifferenceResponse {
  @ApiProperty({ example: 'subscription.plan' }) field!: string;
  @AnyValue('The value in Redis, as a migration maps it.')
  redis!: unknown;
  @AnyValue('The value in PostgreSQL.') postgres!: unknown;
}
documents<FieldDifference>()(FieldDifferenceResponse);

/** A tenant that is not the same in both stores. */
export class TenantDriftResponse {
  @ApiProperty({ enum: DRIFT_KINDS }) kind!: string;
  @ApiProperty() subdomain!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The Redis key (only-in-postgres: the key it was migrated from, if any).',
  })
  key!: string | null;
  @ApiPropertyOptional({
    type: [FieldDifferenceResponse],
    description: '`different`: every mapped field that differs.',
  })
  fields?: FieldDifferenceResponse[];
  @ApiPropertyOptional({
    description: '`different`: PostgreSQL was written after the last migration.',
  })
  changedInPostgres?: boolean;
  @ApiPropertyOptional({ description: '`different`: the Redis value is not the one migrated.' })
  changedInRedis?: boolean;
}
documents<TenantDrift>()(TenantDriftResponse);

/** A Redis record a migration would reject. */
export class InvalidRedisRecordResponse {
  @ApiProperty() key!: string;
  @ApiProperty({ type: [OutcomeReasonResponse] }) reasons!: OutcomeReasonResponse[];
}
documents<InvalidRedisRecord>()(InvalidRedisRecordResponse);

/** `action=check`: Redis and PostgreSQL compared (`IntegrityReport`). */
export class IntegrityReportResponse {
  @ApiProperty() consistent!: boolean;
  @ApiProperty({ type: 'integer', description: 'Keys SCAN returned: valid + invalid + skipped.' })
  redisKeys!: number;
  @ApiProperty({ type: 'integer' }) valid!: number;
  @ApiProperty({ type: 'integer', description: 'Records a migration rejects.' })
  invalid!: number;
  @ApiProperty({ type: 'integer', description: 'Vanished between SCAN and GET.' })
  skipped!: number;
  @ApiProperty({ type: 'integer' }) postgresTenants!: number;
  @ApiProperty({ type: 'integer', description: 'Redis keys cleanup deleted on purpose.' })
  cleanedUp!: number;
  @ApiProperty({ type: 'integer', description: 'In both stores, every mapped field equal.' })
  matching!: number;
  @ApiProperty({ type: 'integer' }) onlyInRedis!: number;
  @ApiProperty({ type: 'integer' }) onlyInPostgres!: number;
  @ApiProperty({ type: 'integer' }) different!: number;
  @ApiProperty({
    type: [TenantDriftResponse],
    description: 'The first drifts (limit), by kind then subdomain.',
  })
  drift!: TenantDriftResponse[];
  @ApiProperty({ description: 'More drifts exist than were listed.' }) truncated!: boolean;
  @ApiProperty({ type: [InvalidRedisRecordResponse] })
  invalidRecords!: InvalidRedisRecordResponse[];
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
documents<IntegrityReport>()(IntegrityReportResponse);

/** Tenants by the Redis format they were migrated from. */
export class SourceFormatCountsResponse {
  @ApiProperty({ type: 'integer' }) legacy!: number;
  @ApiProperty({ type: 'integer' }) enhanced!: number;
  @ApiProperty({ type: 'integer' }) app!: number;
}
documents<MigrationStats['bySourceFormat']>()(SourceFormatCountsResponse);

/** One of the latest runs, as the stats list them. */
export class RecentRunResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ type: MigrationCountsResponse }) counts!: MigrationCountsResponse;
}
documents<MigrationStats['lastRuns'][number]>()(RecentRunResponse);

/** `action=stats` (`MigrationStats`). */
export class MigrationStatsResponse {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ type: 'integer', description: 'Keys under the prefix now (SCAN count).' })
  redisKeys!: number;
  @ApiProperty({ type: 'integer' }) postgresTenants!: number;
  @ApiProperty({ type: SourceFormatCountsResponse }) bySourceFormat!: SourceFormatCountsResponse;
  @ApiProperty({ type: 'integer' }) incompleteProfiles!: number;
  @ApiProperty({ type: 'integer' }) cleanedUpFromRedis!: number;
  @ApiProperty({ type: 'integer', description: 'Redis write-backs waiting for `sync --pending`.' })
  pendingWriteBacks!: number;
  @ApiProperty({ type: [RecentRunResponse] }) lastRuns!: RecentRunResponse[];
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Of the last completed run: (migrated + unchanged) / scanned.',
  })
  successRate!: number | null;
  @CountsByCode('Of the last completed run.')
  lastRejectedByReason!: Record<string, number>;
  @ApiProperty({ type: [BackupResponse] }) backups!: BackupResponse[];
}
documents<MigrationStats>()(MigrationStatsResponse);

/** `action=report`: the stats and a full check (`MigrationReport`). */
export class MigrationReportResponse {
  @ApiProperty({ type: MigrationStatsResponse }) stats!: MigrationStatsResponse;
  @ApiProperty({ type: IntegrityReportResponse }) integrity!: IntegrityReportResponse;
}
documents<MigrationReport>()(MigrationReportResponse);

/** One check of the self-test. */
export class SelfTestResultResponse {
  @ApiProperty({ enum: SELF_TEST_NAMES }) name!: string;
  @ApiProperty({ description: 'False when it failed or could not run.' }) passed!: boolean;
  @ApiProperty({ type: 'integer' }) durationMs!: number;
  @ApiProperty({ type: [String], description: 'For a failure, the reason comes first.' })
  details!: string[];
  @ApiPropertyOptional({ type: [String], description: 'Findings in the data, not failures.' })
  warnings?: string[];
}
documents<SelfTestResult>()(SelfTestResultResponse);

/** `action=test`: passed when every check passed (`SelfTestReport`). */
export class SelfTestReportResponse {
  @ApiProperty() passed!: boolean;
  @ApiProperty({ type: [SelfTestResultResponse] }) tests!: SelfTestResultResponse[];
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
documents<SelfTestReport>()(SelfTestReportResponse);

/** Kept keys by why (only the reasons that occurred). */
export class CleanupKeptByReasonResponse {
  @ApiPropertyOptional({ type: 'integer' }) 'not-in-backup'?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'changed-since-backup'?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'not-a-string'?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'invalid-record'?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'not-in-postgres'?: number;
  @ApiPropertyOptional({ type: 'integer' }) drifted?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'changed-during-cleanup'?: number;
}
documents<CleanupResult['keptByReason']>()(CleanupKeptByReasonResponse);

/** A key cleanup deleted or kept. */
export class CleanupSampleResponse {
  @ApiProperty() key!: string;
  @ApiProperty({ enum: CLEANUP_OUTCOMES }) outcome!: string;
  @ApiPropertyOptional({ enum: CLEANUP_KEEP_REASONS, description: 'Why it was kept.' })
  reason?: string;
}
documents<CleanupResult['samples'][number]>()(CleanupSampleResponse);

/** `POST {"action":"cleanup"}` (`CleanupResult`). */
export class CleanupResultResponse {
  @ApiProperty({ description: 'Nothing deleted: what would be.' }) dryRun!: boolean;
  @ApiProperty({ format: 'uuid', description: 'The verified backup relied on.' })
  backupId!: string;
  @ApiProperty({ type: 'integer', description: 'Keys of the backup examined.' })
  examined!: number;
  @ApiProperty({ type: 'integer', description: 'Deleted (in a dry run: would be).' })
  deleted!: number;
  @ApiProperty({ type: 'integer', description: 'Keys of the backup already gone from Redis.' })
  alreadyGone!: number;
  @ApiProperty({ type: 'integer' }) kept!: number;
  @ApiProperty({ type: CleanupKeptByReasonResponse })
  keptByReason!: CleanupKeptByReasonResponse;
  @ApiProperty({ type: [CleanupSampleResponse] }) samples!: CleanupSampleResponse[];
  @ApiProperty({ type: 'integer' }) durationMs!: number;
}
documents<CleanupResult>()(CleanupResultResponse);

/** Synced tenants by direction (only the directions that occurred). */
export class SyncByDirectionResponse {
  @ApiPropertyOptional({ type: 'integer' }) 'redis-to-postgres'?: number;
  @ApiPropertyOptional({ type: 'integer' }) 'postgres-to-redis'?: number;
  @ApiPropertyOptional({ type: 'integer' }) none?: number;
}
documents<SyncAllResult['byDirection']>()(SyncByDirectionResponse);

/** Synced tenants by what was done (only the changes that occurred). */
export class SyncByChangeResponse {
  @ApiPropertyOptional({ type: 'integer' }) write?: number;
  @ApiPropertyOptional({ type: 'integer' }) delete?: number;
  @ApiPropertyOptional({ type: 'integer' }) none?: number;
}
documents<SyncAllResult['byChange']>()(SyncByChangeResponse);

/** A tenant that could not be synced. */
export class SyncRefusalResponse {
  @ApiProperty() subdomain!: string;
  @ApiProperty({ example: 'both sides changed and no side was preferred' }) reason!: string;
}
documents<SyncAllResult['refused'][number]>()(SyncRefusalResponse);

/** Every drifted tenant, or every pending write-back, synced (`SyncAllResult`). */
export class SyncAllResultResponse {
  @ApiProperty() dryRun!: boolean;
  @ApiProperty({ type: 'integer', description: 'Tenants considered.' }) drifted!: number;
  @ApiProperty({ type: 'integer' }) synced!: number;
  @ApiProperty({ type: SyncByDirectionResponse }) byDirection!: SyncByDirectionResponse;
  @ApiProperty({
    type: SyncByChangeResponse,
    description: 'A `delete` is counted under `redis-to-postgres` too.',
  })
  byChange!: SyncByChangeResponse;
  @ApiProperty({ type: [SyncRefusalResponse] }) refused!: SyncRefusalResponse[];
  @ApiProperty({ type: [SyncResponse] }) results!: SyncResponse[];
}
documents<SyncAllResult>()(SyncAllResultResponse);
