import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  TenantLookup,
  TenantLookupException,
  TenantLookupHistory,
  TenantLookupRedis,
  TenantLookupState,
} from '../integrity/tenant-lookup.types.js';
import {
  TENANT_LOOKUP_HEX_BYTES,
  TENANT_LOOKUP_HISTORY_LIMIT,
  TENANT_LOOKUP_SHOWN_BYTES,
} from '../integrity/tenant-lookup.js';
import type { PendingWriteBack } from '../tenants/redis-write-back.queue.js';
import type { TenantEntity } from '../tenants/tenant.entity.js';
import {
  BUSINESS_CATEGORIES,
  SUBSCRIPTION_PLANS,
  SUBSCRIPTION_STATUSES,
  type BrandColors,
  type EnhancedTenant,
  type TenantFeatures,
  type TenantRecord,
} from '../tenants/tenant.types.js';
import { OutcomeReasonResponse } from './admin-api.responses.js';
import { AuditEntryResponse } from './operation.responses.js';
import { FieldDifferenceResponse } from './report.responses.js';
import { documents, EXCEPTION_BUCKETS, literals } from './schema-rules.js';

/**
 * The answer of `GET <resources>/tenants/:subdomain` as OpenAPI schemas (see
 * admin-api.responses.ts): documentation only, each class held to the type it documents.
 */

export const TENANT_LOOKUP_STATES = literals<TenantLookupState>()([
  'matching',
  'different',
  'only-in-redis',
  'only-in-postgres',
  'invalid-in-redis',
]);

/** A tenant's brand colours, as the source gave them. */
export class BrandColorsResponse {
  @ApiPropertyOptional() primary?: string;
  @ApiPropertyOptional() secondary?: string;
  @ApiPropertyOptional() accent?: string;
}
documents<BrandColors>()(BrandColorsResponse);

export class TenantFeaturesResponse {
  @ApiProperty() whatsapp!: boolean;
  @ApiProperty() homeVisit!: boolean;
  @ApiProperty() analytics!: boolean;
  @ApiProperty() customTemplates!: boolean;
  @ApiProperty() multiStaff!: boolean;
}
documents<TenantFeatures>()(TenantFeaturesResponse);

export class TenantSubscriptionResponse {
  @ApiProperty({ enum: SUBSCRIPTION_PLANS }) plan!: string;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) status!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Epoch milliseconds.' })
  expiresAt!: number | null;
}
documents<EnhancedTenant['subscription']>()(TenantSubscriptionResponse);

/** What a mapped record and a tenants row share: the tenant's identity and business profile. */
abstract class TenantProfileResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() subdomain!: string;
  @ApiProperty() emoji!: string;
  @ApiProperty({ nullable: true, type: String }) businessName!: string | null;
  @ApiProperty({ enum: BUSINESS_CATEGORIES }) businessCategory!: string;
  @ApiProperty({ nullable: true, type: String }) businessDescription!: string | null;
  @ApiProperty({ nullable: true, type: String }) ownerName!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ nullable: true, type: String }) address!: string | null;
  @ApiProperty({ nullable: true, type: String }) logo!: string | null;
  @ApiProperty({ type: BrandColorsResponse, nullable: true })
  brandColors!: BrandColorsResponse | null;
}

/** A Redis value as a migration maps it (`TenantRecord`): the enhanced tenant and its provenance. */
export class TenantRecordResponse extends TenantProfileResponse {
  @ApiProperty({ type: 'integer', description: 'Epoch milliseconds.' }) createdAt!: number;
  @ApiProperty({ type: TenantFeaturesResponse }) features!: TenantFeaturesResponse;
  @ApiProperty({ type: TenantSubscriptionResponse }) subscription!: TenantSubscriptionResponse;
  @ApiProperty() profileComplete!: boolean;
  @ApiProperty({ enum: ['legacy', 'enhanced'] }) sourceFormat!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The `id` the record carried.' })
  sourceId!: string | null;
  @ApiProperty({ description: 'sha256 (hex) of the raw value.' }) sourceHash!: string;
}
documents<TenantRecord>()(TenantRecordResponse);

/** A tenants row (`TenantEntity`), column by column under the entity's names. */
export class TenantRowResponse extends TenantProfileResponse {
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() featureWhatsapp!: boolean;
  @ApiProperty() featureHomeVisit!: boolean;
  @ApiProperty() featureAnalytics!: boolean;
  @ApiProperty() featureCustomTemplates!: boolean;
  @ApiProperty() featureMultiStaff!: boolean;
  @ApiProperty({ enum: SUBSCRIPTION_PLANS }) subscriptionPlan!: string;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) subscriptionStatus!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  subscriptionExpiresAt!: string | null;
  @ApiProperty() profileComplete!: boolean;
  @ApiProperty({
    enum: ['legacy', 'enhanced', 'app'],
    description: '`app`: created in PostgreSQL.',
  })
  sourceFormat!: string;
  @ApiProperty({ nullable: true, type: String }) sourceId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The key it was migrated from.' })
  sourceKey!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'sha256 of the value migrated.' })
  sourceHash!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) migratedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
documents<TenantEntity>()(TenantRowResponse);

/** The tenant's Redis key as it is, and as a migration maps it. */
export class TenantLookupRedisResponse {
  @ApiProperty({ example: 'string', description: 'string, hash, list, set, zset, stream...' })
  type!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Null: no TTL.' })
  ttlMs!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: "A string's length; null else." })
  bytes!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'The value as text, when a string whose bytes shown are valid UTF-8; returned as data, never evaluated.',
  })
  text!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: `The first ${TENANT_LOOKUP_HEX_BYTES} bytes as hex, when the bytes shown are not valid UTF-8.`,
  })
  hexPrefix!: string | null;
  @ApiProperty({
    description: `The value is longer than the ${TENANT_LOOKUP_SHOWN_BYTES} bytes shown.`,
  })
  truncated!: boolean;
  @ApiProperty({
    type: TenantRecordResponse,
    nullable: true,
    description: 'The tenant as a migration maps the value; null when it rejects it.',
  })
  mapped!: TenantRecordResponse | null;
  @ApiProperty({ type: [OutcomeReasonResponse], description: 'Why a migration rejects it.' })
  reasons!: OutcomeReasonResponse[];
  @ApiProperty({ type: [OutcomeReasonResponse], description: 'What the mapping normalised.' })
  notes!: OutcomeReasonResponse[];
}
documents<TenantLookupRedis>()(TenantLookupRedisResponse);

/** A run that quarantined the tenant's key. */
export class TenantLookupExceptionResponse {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ enum: EXCEPTION_BUCKETS }) bucket!: string;
  @ApiProperty({ type: [OutcomeReasonResponse] }) reasons!: OutcomeReasonResponse[];
  @ApiProperty({ format: 'date-time' }) at!: string;
}
documents<TenantLookupException>()(TenantLookupExceptionResponse);

/** A Redis write-back waiting for `sync --pending`. */
export class PendingWriteBackResponse {
  @ApiProperty() subdomain!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty() lastError!: string;
  @ApiProperty({ format: 'date-time' }) firstFailedAt!: string;
  @ApiProperty({ format: 'date-time' }) lastFailedAt!: string;
}
documents<PendingWriteBack>()(PendingWriteBackResponse);

export class TenantLookupHistoryResponse {
  @ApiProperty({
    type: [TenantLookupExceptionResponse],
    description: `Newest first, at most ${TENANT_LOOKUP_HISTORY_LIMIT}.`,
  })
  exceptions!: TenantLookupExceptionResponse[];
  @ApiProperty({
    type: [AuditEntryResponse],
    description: `Entries whose params.subdomain names it; newest first, at most ${TENANT_LOOKUP_HISTORY_LIMIT}.`,
  })
  audit!: AuditEntryResponse[];
  @ApiProperty({ type: [PendingWriteBackResponse] }) writeBacks!: PendingWriteBackResponse[];
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) migratedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) updatedAt!: string | null;
}
documents<TenantLookupHistory>()(TenantLookupHistoryResponse);

/** `GET <resources>/tenants/:subdomain`: one tenant in both stores (`TenantLookup`). */
export class TenantLookupResponse {
  @ApiProperty({ description: 'The normalised subdomain.' }) subdomain!: string;
  @ApiProperty({
    description: 'Its Redis key: the one its row was migrated from, else prefix + subdomain.',
  })
  key!: string;
  @ApiProperty({ enum: TENANT_LOOKUP_STATES }) state!: string;
  @ApiProperty({ type: TenantLookupRedisResponse, nullable: true, description: 'Null: no key.' })
  redis!: TenantLookupRedisResponse | null;
  @ApiProperty({ type: TenantRowResponse, nullable: true, description: 'Null: no row.' })
  postgres!: TenantRowResponse | null;
  @ApiProperty({
    type: [FieldDifferenceResponse],
    description: 'Every compared field that differs between the mapped record and the row.',
  })
  fields!: FieldDifferenceResponse[];
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'The value is not the one last migrated (null unless a row and a whole value).',
  })
  changedInRedis!: boolean | null;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'The row was written after its last migration (null without a row).',
  })
  changedInPostgres!: boolean | null;
  @ApiProperty({ description: 'Cleanup deleted the key on purpose; the row is unchanged since.' })
  cleanedUp!: boolean;
  @ApiProperty({ type: TenantLookupHistoryResponse }) history!: TenantLookupHistoryResponse;
}
documents<TenantLookup>()(TenantLookupResponse);
