/**
 * The identity of the Redis server process from its `INFO server` reply: its `run_id`, a
 * random id Redis draws at every start, so a restart or a failover to another node changes it.
 * Null when the reply has none (a proxy or a managed service may hide it).
 */
export const serverIdentityOf = (info: string): string | null =>
  /^run_id:([0-9a-f]+)\s*$/m.exec(info)?.[1] ?? null;

/**
 * How far a SCAN has got through the database, from its cursor: Redis visits the buckets of
 * its hash table in reversed-bit order, so the cursor's low `bits` bits, reversed, count the
 * buckets already visited. The table has about the next power of two of `databaseSize`
 * buckets (it may be twice that while it grows, or larger after many deletions), so this is an
 * estimate. `'0'` (the end) is 1. It says nothing about how many keys match the prefix: the
 * keys seen so far divided by it does.
 */
export const scanFraction = (cursor: string, databaseSize: number): number => {
  if (cursor === '0') return 1;
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, databaseSize))));
  let rest = BigInt(cursor) & ((1n << BigInt(bits)) - 1n);
  let reversed = 0n;
  for (let i = 0; i < bits; i++) {
    reversed = (reversed << 1n) | (rest & 1n);
    rest >>= 1n;
  }
  return Number(reversed) / 2 ** bits;
};

/** Why a scan started again from the beginning. */
export interface ScanRestart {
  /** The server the cursor belonged to (null when it could not be told). */
  from: string | null;
  /** The server that answers now (null when it cannot be told). */
  to: string | null;
}

/** Where a scan is: its cursor and the server that issued it. */
export interface ScanPosition {
  pattern: string;
  cursor: string;
  /** The server that issued `cursor` (null: it could not be told). */
  server: string | null;
  /** The cursor comes from a checkpoint of another process, not from this scan. */
  inherited: boolean;
  /** The scan started again from the beginning (its server changed): most keys are repeats. */
  restarted: boolean;
  restarts: number;
}

/** Restarts of one scan (server changes) after which following it is given up as impossible. */
export const MAX_SCAN_RESTARTS = 20;

/**
 * Whether a page answered by `server` continues the scan. A scan from the beginning is valid
 * on any server. A cursor this process followed continues on the same server (when no
 * server can be told, nothing better is known). A cursor from a checkpoint continues only on
 * the very server that issued it: when either cannot be told, the scan starts again.
 */
export const continues = (scan: ScanPosition, server: string | null): boolean => {
  if (scan.cursor === '0') return true;
  if (scan.inherited) return server !== null && server === scan.server;
  return server === scan.server;
};
