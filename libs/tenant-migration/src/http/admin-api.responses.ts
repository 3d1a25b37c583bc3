import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BACKUP_FORMAT,
  type BackupHeader,
  type BackupKind,
  type BackupSource,
  type BackupSummary,
  type BackupVerifyReport,
  type LiveComparison,
  type PostgresRestoreReport,
  type RedisRestoreReport,
  type RestoreOutcome,
} from '../backup/backup.types.js';
import type { CleanupKeepReason, CleanupResult } from '../integrity/cleanup.types.js';
import type {
  DriftKind,
  FieldDifference,
  IntegrityReport,
  InvalidRedisRecord,
  TenantDrift,
} from '../integrity/integrity.types.js';
import type { MigrationReport, MigrationStats } from '../integrity/report.types.js';
import type {
  SyncAllResult,
  SyncChange,
  SyncDirection,
  SyncResult,
} from '../integrity/sync.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type {
  ExceptionSample,
  MigrationResult,
  ValidationReport,
} from '../migration/migration-request.types.js';
import type {
  ConflictPolicy,
  ExceptionBucket,
  MigrationCheckpoint,
  MigrationCounts,
  MigrationRunKind,
  MigrationRunOptions,
  MigrationRunStatus,
} from '../migration/migration.types.js';
import type { MigrationRunEntity } from '../migration/migration-run.entity.js';
import {
  SELF_TEST_NAMES,
  type SelfTestReport,
  type SelfTestResult,
} from '../self-test/self-test.types.js';

/**
 * The answers of the admin API as OpenAPI schemas: documentation only (nothing here builds or
 * checks an answer). Each report class lists the members of the TypeScript type it documents,
 * and `documents` below makes the build fail when the two differ (test/openapi.e2e-spec.ts
 * compares the schemas with real answers too).
 */

/** The members of `T` that may be absent. */
type OptionalMembers<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * The members where a response class `R` and the type `T` it documents differ: in one and not
 * the other, or optional in one only. `never` when they agree.
 */
type MemberMismatch<R, T> =
  | Exclude<keyof R, keyof T>
  | Exclude<keyof T, keyof R>
  | Exclude<OptionalMembers<R>, OptionalMembers<T>>
  | Exclude<OptionalMembers<T>, OptionalMembers<R>>;

/**
 * Compiles only when `response` has exactly the members of `T`, each optional where `T`'s is:
 * a member added to a report's type without its documentation fails the build, and the error
 * names it (as the type of the missing `mismatch` argument). Does nothing when it runs.
 */
const documents =
  <T>() =>
  <R>(
    _response: abstract new () => R,
    ..._mismatch: [MemberMismatch<R, T>] extends [never] ? [] : [mismatch: MemberMismatch<R, T>]
  ): void =>
    undefined;

/**
 * The members of a union of string literals as a list for an `enum`: compiles only when the
 * list holds every member of the union (and nothing else), so the two cannot drift apart.
 */
const literals =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L =>
    list;

const DRIFT_KINDS = literals<DriftKind>()(['only-in-redis', 'only-in-postgres', 'different']);
const RUN_STATUSES = literals<MigrationRunStatus>()([
  'running',
  'completed',
  'failed',
  'interrupted',
  'abandoned',
  'cancelled',
]);
const CONFLICT_POLICIES = literals<ConflictPolicy>()(['keep-postgres', 'overwrite', 'skip']);
const EXCEPTION_BUCKETS = literals<ExceptionBucket>()(['rejected', 'skipped']);
const BACKUP_KINDS = literals<BackupKind>()(['redis', 'postgres']);
const RESTORE_OUTCOMES = literals<RestoreOutcome>()([
  'restored',
  'unchanged',
  'conflict',
  'overwritten',
  'expired',
]);
const LIVE_STATES = literals<LiveComparison['samples'][number]['state']>()([
  'missing',
  'extra',
  'changed',
]);
const CLEANUP_OUTCOMES = literals<CleanupResult['samples'][number]['outcome']>()([
  'deleted',
  'kept',
]);
const CLEANUP_KEEP_REASONS = literals<CleanupKeepReason>()([
  'not-in-backup',
  'changed-since-backup',
  'not-a-string',
  'invalid-record',
  'not-in-postgres',
  'drifted',
  'changed-during-cleanup',
]);
const SYNC_DIRECTIONS = literals<SyncDirection>()([
  'redis-to-postgres',
  'postgres-to-redis',
  'none',
]);
const SYNC_CHANGES = literals<SyncChange>()(['write', 'delete', 'none']);

/** A table of counts by an open set of codes (a reason, a note). */
const CountsByCode = (description?: string) =>
  ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description });

/** Any JSON value, null included: a tenant field as either store holds it. */
const AnyValue = (description: string) =>
  ApiProperty({
    nullable: true,
    oneOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object', additionalProperties: true },
      { type: 'array', items: {} },
    ],
    description,
  });

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
