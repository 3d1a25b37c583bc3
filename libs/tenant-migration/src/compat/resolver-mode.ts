/** Which store the resolver reads first during the transition, or whether Redis is read at all. */
export type ResolverMode = 'postgres-first' | 'redis-first' | 'postgres-only';
