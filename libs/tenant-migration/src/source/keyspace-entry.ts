/** What the reader found under one key. Every key SCAN returns becomes exactly one entry. */
export type KeyspaceEntry =
  /** A string value, as bytes (they may not be valid UTF-8). */
  | { key: string; kind: 'value'; value: Buffer }
  /** The key existed when SCAN listed it and was gone (deleted or expired) when fetched. */
  | { key: string; kind: 'vanished' }
  /** Not a string: a hash, list, set, zset or stream. */
  | { key: string; kind: 'wrong-type'; type: string }
  /** The key name is not valid UTF-8 (`key` is its escaped form); never fetched. */
  | { key: string; kind: 'bad-name' }
  /** Larger than the configured maximum; never fetched. */
  | { key: string; kind: 'too-large'; size: number };

/**
 * A group of entries and the resume point after them: the SCAN cursor and the server that
 * issued it (a cursor means nothing to another server).
 */
export interface KeyspaceBatch {
  cursor: string;
  /** The Redis server's identity (`run_id`), or null when it cannot be told. */
  server: string | null;
  /** What `beforeFetch` answered just before the values were read (a write fence), if asked. */
  fence: string | null;
  /** Keys SCAN listed that were already accounted for (`seen`): not fetched, not in `entries`. */
  passedOver: number;
  entries: KeyspaceEntry[];
}
