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

/** A group of entries and the SCAN cursor after them (the resume point once committed). */
export interface KeyspaceBatch {
  cursor: string;
  entries: KeyspaceEntry[];
}
