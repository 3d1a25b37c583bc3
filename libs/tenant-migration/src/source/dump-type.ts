/**
 * The type of a key, read from its DUMP payload instead of asking TYPE. A DUMP payload is the
 * RDB serialization of the value: its first byte is the RDB object type, followed by the
 * value, two bytes of RDB version and eight bytes of CRC64. Every RDB encoding of a core type
 * maps to exactly one TYPE answer, so a backup needs no TYPE round trip per key; and the type it
 * records is the one of the very bytes it stores, never that of a value replaced in between.
 *
 * Only the encodings every Redis since 2.x and every fork agree on are named here. Module
 * values (whose TYPE answer is the module's own name) and encodings this table does not know
 * (a newer server's) give null: the caller asks TYPE for those few keys.
 */

/** RDB object type byte (rdb.h) -> TYPE answer. */
const RDB_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'string'], // RDB_TYPE_STRING
  [1, 'list'], // RDB_TYPE_LIST
  [2, 'set'], // RDB_TYPE_SET
  [3, 'zset'], // RDB_TYPE_ZSET
  [4, 'hash'], // RDB_TYPE_HASH
  [5, 'zset'], // RDB_TYPE_ZSET_2
  // 6, 7: module values (RDB_TYPE_MODULE_PRE_GA, RDB_TYPE_MODULE_2): TYPE names the module.
  [9, 'hash'], // RDB_TYPE_HASH_ZIPMAP
  [10, 'list'], // RDB_TYPE_LIST_ZIPLIST
  [11, 'set'], // RDB_TYPE_SET_INTSET
  [12, 'zset'], // RDB_TYPE_ZSET_ZIPLIST
  [13, 'hash'], // RDB_TYPE_HASH_ZIPLIST
  [14, 'list'], // RDB_TYPE_LIST_QUICKLIST
  [15, 'stream'], // RDB_TYPE_STREAM_LISTPACKS
  [16, 'hash'], // RDB_TYPE_HASH_LISTPACK
  [17, 'zset'], // RDB_TYPE_ZSET_LISTPACK
  [18, 'list'], // RDB_TYPE_LIST_QUICKLIST_2
  [19, 'stream'], // RDB_TYPE_STREAM_LISTPACKS_2
  [20, 'set'], // RDB_TYPE_SET_LISTPACK (7.2)
  [21, 'stream'], // RDB_TYPE_STREAM_LISTPACKS_3 (7.2)
]);

/**
 * The TYPE answer for a DUMP payload, from its RDB type byte; null when the payload does not
 * tell (a module value, an encoding newer than this table, or a payload too short to be one).
 */
export const typeOfDump = (dump: Buffer): string | null => {
  // Type byte + RDB version (2) + CRC64 (8): anything shorter is not a DUMP payload.
  if (dump.length < 11) return null;
  return RDB_TYPES.get(dump[0]) ?? null;
};
