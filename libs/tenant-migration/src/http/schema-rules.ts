import { ApiProperty } from '@nestjs/swagger';
import {
  type BackupKind,
  type LiveComparison,
  type RestoreOutcome,
} from '../backup/backup.types.js';
import { CLEANUP_KEEP_REASONS, type CleanupResult } from '../integrity/cleanup.types.js';
import type { DriftKind } from '../integrity/integrity.types.js';

import type { SyncChange, SyncDirection } from '../integrity/sync.types.js';

import type {
  ConflictPolicy,
  ExceptionBucket,
  MigrationRunStatus,
} from '../migration/migration.types.js';

/**
 * What the OpenAPI answer classes are built with: `documents` (the build fails when a class and
 * the type it documents differ), `literals` (an enum list that holds every member of its union),
 * the enum lists themselves, and the decorators of open maps and of any JSON value.
 */
/** The members of `T` that may be absent. */
export type OptionalMembers<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? K : never;
}[keyof T];

/**
 * The members where a response class `R` and the type `T` it documents differ: in one and not
 * the other, or optional in one only. `never` when they agree.
 */
export type MemberMismatch<R, T> =
  | Exclude<keyof R, keyof T>
  | Exclude<keyof T, keyof R>
  | Exclude<OptionalMembers<R>, OptionalMembers<T>>
  | Exclude<OptionalMembers<T>, OptionalMembers<R>>;

/**
 * Compiles only when `response` has exactly the members of `T`, each optional where `T`'s is:
 * a member added to a report's type without its documentation fails the build, and the error
 * names it (as the type of the missing `mismatch` argument). Does nothing when it runs.
 */
export const documents =
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
export const literals =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L =>
    list;

export const DRIFT_KINDS = literals<DriftKind>()([
  'only-in-redis',
  'only-in-postgres',
  'different',
]);
export const RUN_STATUSES = literals<MigrationRunStatus>()([
  'running',
  'completed',
  'failed',
  'interrupted',
  'abandoned',
  'cancelled',
]);
export const CONFLICT_POLICIES = literals<ConflictPolicy>()(['keep-postgres', 'overwrite', 'skip']);
export const EXCEPTION_BUCKETS = literals<ExceptionBucket>()(['rejected', 'skipped']);
export const BACKUP_KINDS = literals<BackupKind>()(['redis', 'postgres']);
export const RESTORE_OUTCOMES = literals<RestoreOutcome>()([
  'restored',
  'unchanged',
  'conflict',
  'overwritten',
  'expired',
]);
export const LIVE_STATES = literals<LiveComparison['samples'][number]['state']>()([
  'missing',
  'extra',
  'changed',
]);
export const CLEANUP_OUTCOMES = literals<CleanupResult['samples'][number]['outcome']>()([
  'deleted',
  'kept',
]);
export { CLEANUP_KEEP_REASONS };
export const SYNC_DIRECTIONS = literals<SyncDirection>()([
  'redis-to-postgres',
  'postgres-to-redis',
  'none',
]);
export const SYNC_CHANGES = literals<SyncChange>()(['write', 'delete', 'none']);

/** A table of counts by an open set of codes (a reason, a note). */
export const CountsByCode = (description?: string) =>
  ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description });

/** Any JSON value, null included: a tenant field as either store holds it. */
export const AnyValue = (description: string) =>
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
