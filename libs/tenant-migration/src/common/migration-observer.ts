/**
 * An optional listener a host gives the library to follow its work, e.g. as metrics: the
 * library calls it once per finished batch and once per resolver lookup, never per key, and
 * nothing when no observer is provided. It must not throw, and must return at once.
 */

/** Injection token of the host's `MigrationObserver` (optional; see `MigrationObserver`). */
export const MIGRATION_OBSERVER = 'TENANT_MIGRATION_OBSERVER';

/**
 * Where the resolver found a tenant: `cache` (its own cache), `postgres`, `redis` (read first,
 * in `redis-first` mode), `redis-fallback` (not in PostgreSQL, found in Redis), or `miss`
 * (in neither store). A lookup that fails (an outage, an invalid record) reports nothing.
 */
export type ResolverLookupResult = 'cache' | 'postgres' | 'redis' | 'redis-fallback' | 'miss';

/**
 * One finished batch of a run (or a dry run), after its commit: each key of the batch in
 * exactly one outcome. Skipped and rejected keys are counted by their first reason, so over a
 * run the reasons of an outcome add up to its count.
 */
export interface MigrationBatchObservation {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  /** Skipped keys by reason code; they add up to the batch's skipped count. */
  skippedByReason: Record<string, number>;
  /** Rejected keys by their first reason code; they add up to the batch's rejected count. */
  rejectedByReason: Record<string, number>;
  /** From asking the reader for the batch to having it validated (see `MigrationBatchReport`). */
  readMs: number;
  /** From handing the batch to a writer to its commit. */
  writeMs: number;
}

export interface MigrationObserver {
  onBatch(observation: MigrationBatchObservation): void;
  onResolverLookup(result: ResolverLookupResult): void;
}
