import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { StoreUnavailableError } from '../errors/index.js';
import { digestsOf } from './redis-content-digest.js';
import { isUtf8 } from 'node:buffer';
import type { KeyspaceBatch, KeyspaceEntry } from './keyspace-entry.js';
import type { SeenKeySet } from '../common/seen-key-set.js';
import { escapeKeyName, scanPatternFor } from './key-name.js';
import {
  continues,
  MAX_SCAN_RESTARTS,
  serverIdentityOf,
  type ScanPosition,
  type ScanRestart,
} from './scan-cursor.js';
import { asStoreError, redisCall } from './store-error.js';
import { defineKeySizes } from './key-sizes.script.js';
import { typeOfDump } from './dump-type.js';

export interface KeyspaceScanOptions {
  prefix: string;
  /**
   * Where to continue: a committed checkpoint's cursor and the server that issued it. A SCAN
   * cursor means something only to that server process; when another one answers (a restart,
   * a failover), the scan starts again from the beginning.
   */
  resumeFrom?: { cursor: string; server: string | null };
  /** Keys per batch (approximate lower bound: whole SCAN pages are kept together). */
  batchSize: number;
  /** Values over this many bytes are reported, not fetched. */
  maxValueBytes: number;
  /** Keys already accounted for: after a restart, passed over without being fetched. */
  seen?: Pick<SeenKeySet, 'has'>;
  /**
   * Awaited just before each batch's values are read; its answer travels with the batch (the
   * migration takes a PostgreSQL write fence here).
   */
  beforeFetch?: () => Promise<string>;
  /** Told each time the scan starts again from the beginning because another server answers. */
  onRestart?: (restart: ScanRestart) => void;
}

/** One key as DUMP gives it, for backups. */
export interface DumpedKey {
  key: Buffer;
  type: string;
  /** Remaining time to live in ms, or -1 for none. */
  pttl: number;
  dump: Buffer;
  /** Content digest of a collection (see redis-content-digest.ts); null for strings. */
  digest: string | null;
}

/** One SCAN page's keys as DUMP gives them, and where the scan stands after the page. */
export interface DumpedBatch {
  keys: DumpedKey[];
  cursor: string;
  /** The server that issued `cursor` (null: it could not be told). */
  server: string | null;
  /** The scan started again from the beginning (another server answered): expect repeats. */
  restarted: boolean;
  /** When the PTTL replies arrived (epoch ms): what each key's `pttl` counts down from. */
  readAt: number;
}

/**
 * Reads the tenant keyspace: SCAN (never KEYS), then per batch one script call for sizes and
 * types and one MGET for the values that fit. Oversized values and other types are never
 * fetched; a nil from MGET after a size was read is a key that vanished in between.
 * Read-only: it never writes to Redis.
 */
/** A scan of the prefix from the beginning, or from a checkpoint's cursor and server. */
const scanFrom = (
  prefix: string,
  resumeFrom?: { cursor: string; server: string | null },
): ScanPosition => ({
  pattern: scanPatternFor(prefix),
  cursor: resumeFrom?.cursor ?? '0',
  server: resumeFrom?.server ?? null,
  inherited: resumeFrom !== undefined,
  restarted: false,
  restarts: 0,
});

@Injectable()
export class RedisKeyspaceReader {
  constructor(@Inject(TENANT_REDIS) private readonly redis: Redis) {
    defineKeySizes(redis);
  }

  /**
   * The keyspace in batches of whole SCAN pages. The next batch is read while the caller
   * works on the current one, so Redis round trips overlap with validation and writes.
   *
   * Every SCAN page is read together with the server's identity (one pipeline, one
   * connection), so a page another server answered is never taken for the continuation of
   * the cursor: when the server changes (or cannot be told, on a resume), the scan starts again
   * from the beginning, and keys already accounted for (`seen`) are passed over. Each batch
   * carries the cursor and server of its last page: together they are the resume point.
   */
  async *batches(options: KeyspaceScanOptions): AsyncGenerator<KeyspaceBatch> {
    const scan = scanFrom(options.prefix, options.resumeFrom);
    let next: Promise<KeyspaceBatch | null> | null = this.readBatch(scan, options);
    while (next) {
      const batch: KeyspaceBatch | null = await next;
      if (!batch) return;
      next = batch.cursor === '0' ? null : this.readBatch(scan, options);
      // A caller that stops early must not leave a failed read-ahead unhandled.
      next?.catch(() => undefined);
      yield batch;
    }
  }

  private async readBatch(
    scan: ScanPosition,
    options: KeyspaceScanOptions,
  ): Promise<KeyspaceBatch | null> {
    const keys: string[] = [];
    // Key names are bytes; one that is not UTF-8 cannot name a tenant (nor be fetched by a
    // decoded name), so it is reported as it is, escaped.
    const badNames: KeyspaceEntry[] = [];
    let passedOver = 0;
    while (keys.length + badNames.length < options.batchSize) {
      const page = await this.nextPage(scan, options.batchSize, options.onRestart);
      for (const name of page) {
        if (!isUtf8(name)) {
          badNames.push({ key: escapeKeyName(name), kind: 'bad-name' });
          continue;
        }
        const key = name.toString('utf8');
        // Only a scan that started again meets many keys it already accounted for; anywhere
        // else a repeat is rare, and the classifier tells it apart without this extra hash.
        if (scan.restarted && options.seen?.has(key)) passedOver++;
        else keys.push(key);
      }
      if (scan.cursor === '0') break;
    }
    if (keys.length + badNames.length + passedOver === 0) return null;
    const fence = options.beforeFetch ? await options.beforeFetch() : null;
    return {
      cursor: scan.cursor,
      server: scan.server,
      fence,
      passedOver,
      entries: [...badNames, ...(await this.fetch(keys, options.maxValueBytes))],
    };
  }

  /**
   * The next SCAN page that continues `scan` (moved on in place). A page another server
   * answered starts the scan again from the beginning (`restarted`), at most
   * MAX_SCAN_RESTARTS times.
   */
  private async nextPage(
    scan: ScanPosition,
    count: number,
    onRestart?: (restart: ScanRestart) => void,
  ): Promise<Buffer[]> {
    for (;;) {
      const { server, cursor, page } = await this.scanPage(scan.pattern, scan.cursor, count);
      if (continues(scan, server)) {
        Object.assign(scan, { cursor, server, inherited: false });
        return page;
      }
      if (++scan.restarts > MAX_SCAN_RESTARTS) {
        throw new StoreUnavailableError(
          `Redis answered from another server ${scan.restarts} times during one scan (a proxy spreading commands over nodes?); a SCAN cursor cannot be followed there`,
          { from: scan.server, to: server },
        );
      }
      onRestart?.({ from: scan.server, to: server });
      Object.assign(scan, { cursor: '0', server, inherited: false, restarted: true });
    }
  }

  /** One SCAN page and the identity of the server that answered it, in one pipeline. */
  private async scanPage(
    pattern: string,
    cursor: string,
    count: number,
  ): Promise<{ server: string | null; cursor: string; page: Buffer[] }> {
    const replies = await redisCall(() =>
      this.redis
        .pipeline()
        .info('server')
        .scanBuffer(cursor, 'MATCH', pattern, 'COUNT', count)
        .exec(),
    );
    const [infoReply, scanReply] = replies ?? [];
    if (!scanReply)
      throw new StoreUnavailableError('Redis is unavailable: the SCAN pipeline got no reply', {});
    if (scanReply[0]) throw asStoreError(scanReply[0]);
    const [next, page] = scanReply[1] as [Buffer | string, Buffer[]];
    // A server that refuses INFO (a restricted managed service) cannot be told apart.
    const info = infoReply && !infoReply[0] ? String(infoReply[1]) : '';
    return { server: serverIdentityOf(info), cursor: String(next), page };
  }

  /** Fetches the given keys; the result is in the same order and of the same length. */
  async fetch(keys: readonly string[], maxValueBytes: number): Promise<KeyspaceEntry[]> {
    if (keys.length === 0) return [];
    const sizes = await redisCall(() => this.redis.tenantMigrationKeySizes(keys.length, ...keys));
    const entries = new Array<KeyspaceEntry | undefined>(keys.length);
    const toFetch: string[] = [];
    keys.forEach((key, i) => {
      const size = sizes[i];
      if (typeof size === 'string') entries[i] = { key, kind: 'wrong-type', type: size };
      else if (size < 0) entries[i] = { key, kind: 'vanished' };
      else if (size > maxValueBytes) entries[i] = { key, kind: 'too-large', size };
      else toFetch.push(key);
    });
    if (toFetch.length > 0) {
      const values = await redisCall(() => this.redis.mgetBuffer(...toFetch));
      let n = 0;
      keys.forEach((key, i) => {
        if (entries[i]) return;
        const value = values[n++];
        entries[i] = value === null ? { key, kind: 'vanished' } : { key, kind: 'value', value };
      });
    }
    return entries as KeyspaceEntry[];
  }

  /**
   * Every key under the prefix as it is stored: binary-safe name, type, remaining TTL (ms, or
   * -1 for none) and DUMP payload, in batches of whole SCAN pages. Keys that vanish between
   * SCAN and DUMP are left out (they are not in the keyspace any more). Each batch carries the
   * cursor and server of its last page, the point `resumeFrom` continues from (as `batches`
   * does: a cursor another server answers for starts the scan again, flagged `restarted`).
   * SCAN may repeat a key: the caller tells repeats apart.
   *
   * The next batch is read while the caller writes the current one (one batch ahead, so memory
   * stays bounded by two batches): Redis round trips overlap with encoding and compression.
   */
  async *dumps(
    prefix: string,
    batchSize: number,
    resumeFrom?: { cursor: string; server: string | null },
  ): AsyncGenerator<DumpedBatch> {
    const scan = scanFrom(prefix, resumeFrom);
    let next: Promise<DumpedBatch> | null = this.readDumps(scan, batchSize);
    while (next) {
      const batch: DumpedBatch = await next;
      next = batch.cursor === '0' ? null : this.readDumps(scan, batchSize);
      // A caller that stops early (a pause, a cancel) must not leave a failed read-ahead unhandled.
      next?.catch(() => undefined);
      yield batch;
    }
  }

  /**
   * The next SCAN page of `scan` (moved on in place) with its keys dumped. The position is
   * copied into the batch as it stands after this page: the read-ahead moves `scan` on.
   */
  private async readDumps(scan: ScanPosition, batchSize: number): Promise<DumpedBatch> {
    const page = await this.nextPage(scan, batchSize);
    const { cursor, server, restarted } = scan;
    const { keys, readAt } =
      page.length > 0 ? await this.dumpKeys(page) : { keys: [], readAt: Date.now() };
    return { keys, readAt, cursor, server, restarted };
  }

  /**
   * PTTL and DUMP of each key in one pipeline (the type is the DUMP payload's own, see
   * dump-type.ts; TYPE is asked only for the rare payload that does not tell, such as a module
   * value), then the content digest of each collection.
   */
  private async dumpKeys(keys: readonly Buffer[]): Promise<{ keys: DumpedKey[]; readAt: number }> {
    const batch = this.redis.pipeline();
    for (const key of keys) batch.pttl(key).dumpBuffer(key);
    const replies = (await redisCall(() => batch.exec())) ?? [];
    const readAt = Date.now();
    const dumped: DumpedKey[] = [];
    const untyped: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const ttlReply = replies[2 * i];
      const dumpReply = replies[2 * i + 1];
      // A pipelined command fails alone: a connection lost in the middle is Redis being
      // unavailable too, and a missing reply is one.
      if (!ttlReply || !dumpReply)
        throw new StoreUnavailableError('Redis is unavailable: the DUMP pipeline got no reply', {});
      const error = ttlReply[0] ?? dumpReply[0];
      if (error) throw asStoreError(error);
      const dump = dumpReply[1] as Buffer | null;
      if (!dump) continue; // vanished since SCAN
      const type = typeOfDump(dump);
      if (type === null) untyped.push(dumped.length);
      dumped.push({
        key: keys[i],
        type: type ?? '',
        pttl: Number(ttlReply[1]),
        dump,
        digest: null,
      });
    }
    if (untyped.length > 0) await this.typeUntyped(dumped, untyped);
    const digests = await redisCall(() =>
      digestsOf(
        this.redis,
        dumped.map((d) => d.key),
        dumped.map((d) => d.type),
      ),
    );
    dumped.forEach((d, i) => (d.digest = digests[i]));
    return { keys: dumped.filter((d) => d.type !== 'none'), readAt };
  }

  /**
   * Asks TYPE for the dumped keys whose payload does not tell their type (`at`: their indexes
   * in `dumped`). A key gone since its DUMP answers `none` and is left out by the caller.
   */
  private async typeUntyped(dumped: DumpedKey[], at: readonly number[]): Promise<void> {
    const types = this.redis.pipeline();
    for (const i of at) types.type(dumped[i].key);
    const replies = (await redisCall(() => types.exec())) ?? [];
    at.forEach((i, n) => {
      const reply = replies[n];
      if (!reply)
        throw new StoreUnavailableError('Redis is unavailable: the TYPE pipeline got no reply', {});
      if (reply[0]) throw asStoreError(reply[0]);
      dumped[i].type = String(reply[1]);
    });
  }

  /** The binary-safe names of the keys under the prefix, page by page (SCAN may repeat one). */
  async *keys(prefix: string, batchSize: number): AsyncGenerator<Buffer[]> {
    const pattern = scanPatternFor(prefix);
    let cursor = '0';
    do {
      const [next, keys] = await redisCall(() =>
        this.redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', batchSize),
      );
      cursor = String(next);
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }

  /** Which of the keys exist right now (one pipelined EXISTS each). */
  async exist(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    const checks = this.redis.pipeline();
    for (const key of keys) checks.exists(key);
    const replies = (await redisCall(() => checks.exec())) ?? [];
    return replies.map(([error, count]) => {
      if (error) throw asStoreError(error);
      return count === 1;
    });
  }

  /** The key count of the whole database (DBSIZE): what `scanFraction` needs to read a cursor. */
  databaseSize(): Promise<number> {
    return redisCall(() => this.redis.dbsize());
  }
}
