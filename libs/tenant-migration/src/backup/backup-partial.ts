/**
 * What a suspended Redis backup left: its `.partial` file (complete gzip members, synced) and
 * the point its SCAN had reached once every entry in the file was written. A paused or stopped
 * backup operation keeps this as its checkpoint; the next execution reads the partial file back
 * (its checksum so far, its entry count and the keys it holds) and appends to it, so the backup
 * it ends with is the one an uninterrupted run gives.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { SeenKeySet } from '../common/seen-key-set.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupHeader } from './backup.types.js';

/** A suspended backup's checkpoint, as the operation keeps it. */
export interface RedisBackupCheckpoint {
  /** The backup's final path; the file being written is `<path>.partial`. */
  path: string;
  /** The header's id: the partial file must start with this backup's header. */
  backupId: string;
  /** The SCAN cursor after the last page written, and the server that issued it. */
  cursor: string;
  server: string | null;
  /** Entry lines in the file, their bytes (as the trailer counts them) and the file's size. */
  entries: number;
  bytes: number;
  fileBytes: number;
}

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The checkpoint an operation kept, when it is one of a suspended backup; null otherwise. */
export const redisBackupCheckpointOf = (
  value: Readonly<Record<string, unknown>> | null,
): RedisBackupCheckpoint | null => {
  if (!value) return null;
  const { path, backupId, cursor, server, entries, bytes, fileBytes } = value;
  if (
    typeof path !== 'string' ||
    typeof backupId !== 'string' ||
    typeof cursor !== 'string' ||
    !/^\d+$/.test(cursor) ||
    (server !== null && typeof server !== 'string') ||
    !isNumber(entries) ||
    !isNumber(bytes) ||
    !isNumber(fileBytes)
  )
    return null;
  return { path, backupId, cursor, server, entries, bytes, fileBytes };
};

/** A partial backup read back: what its writer continues from. */
export interface ReadPartial {
  header: BackupHeader;
  /** SHA-256 over the header line and every entry line so far (the trailer's checksum, unfinished). */
  hash: Hash;
  entries: number;
  bytes: number;
  /** The keys the file holds (latin1 of their bytes), so a repeat from SCAN is written once. */
  seen: SeenKeySet;
}

/**
 * Reads the partial file of the checkpoint back, cut to the size it had when it was suspended
 * (an execution that resumed it and then died may have appended a broken gzip member). Null
 * when it cannot be continued: missing, shorter than at the checkpoint, not this backup's, or
 * not adding up to the checkpoint's counts; the caller then starts the backup again.
 */
export const readPartial = async (
  partialPath: string,
  checkpoint: RedisBackupCheckpoint,
): Promise<ReadPartial | null> => {
  try {
    if ((await stat(partialPath)).size < checkpoint.fileBytes) return null;
    await truncate(partialPath, checkpoint.fileBytes);
    const hash = createHash('sha256');
    const seen = new SeenKeySet();
    const found: { header: BackupHeader | null } = { header: null };
    let lines = 0;
    let bytes = 0;
    let carry = Buffer.alloc(0);
    const onLine = (line: Buffer): void => {
      if (lines++ === 0) {
        const parsed = JSON.parse(line.toString('utf8')) as BackupHeader;
        // Version 1 did not hash its header: only this version's partial files continue.
        if (
          parsed.format !== BACKUP_FORMAT ||
          parsed.version !== BACKUP_FORMAT_VERSION ||
          parsed.id !== checkpoint.backupId
        )
          throw new Error('not this backup');
        found.header = parsed;
        return;
      }
      bytes += line.length + 1;
      const { k } = JSON.parse(line.toString('utf8')) as { k: string };
      seen.add(Buffer.from(k, 'base64').toString('latin1'));
    };
    await pipeline(
      createReadStream(partialPath),
      createGunzip(),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          hash.update(chunk);
          let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
          for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a)) {
            onLine(data.subarray(0, end));
            data = data.subarray(end + 1);
          }
          carry = Buffer.from(data);
        }
      },
    );
    const entries = lines - 1;
    const { header } = found;
    if (!header || carry.length > 0 || entries !== checkpoint.entries || bytes !== checkpoint.bytes)
      return null;
    return { header, hash, entries, bytes, seen };
  } catch {
    return null;
  }
};

/**
 * Removes the `.partial` files in `dir` that no suspended backup of `named` (their final
 * paths) continues and that nothing has written for `graceMs`: what a backup left when its
 * process died, or a suspended one whose checkpoint was lost. A backup being written touches
 * its file with every batch. Returns the paths removed.
 */
export const removeOrphanedPartials = async (
  dir: string,
  named: readonly string[],
  graceMs: number,
): Promise<string[]> => {
  const continued = new Set(named.map((path) => resolve(`${path}.partial`)));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // no backup folder yet
  }
  const removed: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.partial'))) {
    const path = resolve(join(dir, name));
    if (continued.has(path)) continue;
    const info = await stat(path).catch(() => null);
    if (!info?.isFile() || Date.now() - info.mtimeMs < graceMs) continue;
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
};
