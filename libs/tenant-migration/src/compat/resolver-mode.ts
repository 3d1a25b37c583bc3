/**
 * Which store the resolver reads first during the transition, or whether Redis is read at all.
 * `postgres-first` (default): PostgreSQL, then Redis with on-the-fly migration. `redis-first`:
 * Redis as the authority (before the migration), then PostgreSQL. `postgres-only`: after
 * cutover.
 */
export type ResolverMode = 'postgres-first' | 'redis-first' | 'postgres-only';
