/**
 * Writes a backup file (the format: see backup-file.ts). A file is written under a `.partial`
 * name and given its final name only once complete and synced, never replacing a file there, so a
 * crash never leaves a file that looks complete and an earlier backup is never overwritten.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import {
  BackupExistsError,
  BackupIoError,
  InvalidOptionError,
  TenantMigrationError,
} from '../errors/index.js';
import { errnoOf, folderProblemOf, isDiskFull } from '../common/file-errors.js';
import type { BackupHeader, BackupTrailer } from './backup.types.js';
import type { ReadPartial } from './backup-partial.js';

/** Whether anything (file, folder, link) is at `path`; a path that cannot be looked at counts as free, the next step reports why. */
const taken = async (path: string): Promise<boolean> => {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
};

/** Hard links are not supported everywhere (some network and FUSE file systems). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** What a caller can fix by naming another place: a usage error, not a broken machine. */
const unusableFolder = (path: string, error: unknown): TenantMigrationError => {
  const reason = folderProblemOf(error);
  const folder = dirname(path);
  if (reason)
    return new InvalidOptionError(
      `cannot write the backup ${path}: its folder ${folder} ${reason}`,
      { path, folder, code: errnoOf(error) },
    );
  return writeFailed(path, error);
};

/** Writing failed once the file was open: the machine's fault (exit 3, 503), not the caller's. */
const writeFailed = (path: string, error: unknown): TenantMigrationError => {
  if (error instanceof TenantMigrationError) return error;
  return new BackupIoError(
    `${isDiskFull(error) ? 'the disk is full: ' : ''}could not write the backup ${path}`,
    { path, code: errnoOf(error) ?? null },
    { cause: error },
  );
};

export class BackupFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private entries = 0;
  private bytes = 0;
  /** The first error of either stream, as a domain error; every later step throws it. */
  private failure: TenantMigrationError | null = null;
  /** Settles when the file has every byte (or rejects with `failure`). */
  private readonly done: Promise<void>;
  /** Whether the final name is ours, so that abort() may remove it (never someone else's file). */
  private published = false;

  private constructor(
    readonly path: string,
    private readonly partialPath: string,
    private readonly gzip: Gzip,
    private readonly file: WriteStream,
    carried?: Pick<ReadPartial, 'hash' | 'entries' | 'bytes'>,
  ) {
    if (carried) ({ hash: this.hash, entries: this.entries, bytes: this.bytes } = carried);
    // pipeline() listens for 'error' on both streams for their whole life: a full disk (ENOSPC)
    // or an I/O error while writing destroys both and rejects `done`, never an unhandled 'error'.
    this.done = pipeline(gzip, file).catch((error: unknown) => {
      this.failure ??= writeFailed(path, error);
      throw this.failure;
    });
    // Observed by push() and finish(); until then, a rejection is not unhandled.
    this.done.catch(() => undefined);
  }

  /**
   * Creates `<path>.partial` (and its folder) and writes the header. Refuses, before the
   * caller reads a single key, a path that is taken (an earlier backup is never replaced) and
   * a folder that cannot be written.
   */
  static async create(path: string, header: BackupHeader): Promise<BackupFileWriter> {
    if (await taken(path)) {
      throw new BackupExistsError(
        `${path} already exists: a backup never replaces a file; choose another path`,
        { path },
      );
    }
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw unusableFolder(path, error);
    }
    const partialPath = `${path}.partial`;
    const file = createWriteStream(partialPath, { flags: 'wx' });
    try {
      await once(file, 'open');
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') {
        throw new BackupExistsError(
          `${partialPath} exists: another backup to ${path} is running or was interrupted; remove that file or choose another path`,
          { path, partialPath },
        );
      }
      throw unusableFolder(path, error);
    }
    const writer = new BackupFileWriter(path, partialPath, createGzip({ level: 6 }), file);
    try {
      const line = `${JSON.stringify(header)}\n`;
      if (header.version >= 2) writer.hash.update(line);
      await writer.push(line);
    } catch (error) {
      await writer.abort();
      throw error;
    }
    return writer;
  }

  /**
   * Continues the partial file of a suspended backup (read back by `readPartial`, cut to its
   * suspended size): appends a new gzip member to it, with the checksum and counts carried on.
   */
  static async resume(path: string, partial: ReadPartial): Promise<BackupFileWriter> {
    if (await taken(path)) {
      throw new BackupExistsError(
        `${path} already exists: a backup never replaces a file; choose another path`,
        { path },
      );
    }
    const partialPath = `${path}.partial`;
    const file = createWriteStream(partialPath, { flags: 'a' });
    try {
      await once(file, 'open');
    } catch (error) {
      throw unusableFolder(path, error);
    }
    return new BackupFileWriter(path, partialPath, createGzip({ level: 6 }), file, partial);
  }

  /** Entry lines written so far (those of the execution it resumed included). */
  get entryCount(): number {
    return this.entries;
  }

  /**
   * Ends the file's current gzip member and syncs the partial file, leaving it for `resume`:
   * what it holds so far, and the size that a resumed writer cuts it back to.
   */
  async suspend(): Promise<{ entries: number; bytes: number; fileBytes: number }> {
    if (this.failure) throw this.failure;
    this.gzip.end();
    await this.done;
    try {
      await syncPath(this.partialPath, 'r+');
      const { size } = await stat(this.partialPath);
      return { entries: this.entries, bytes: this.bytes, fileBytes: size };
    } catch (error) {
      throw writeFailed(this.path, error);
    }
  }

  /** Appends one entry line (without its newline); waits when the disk is behind. */
  async write(line: string): Promise<void> {
    const data = `${line}\n`;
    this.hash.update(data);
    this.entries++;
    this.bytes += Buffer.byteLength(data);
    await this.push(data);
  }

  /**
   * Appends entry lines (each without its newline) as one chunk; waits when the disk is behind.
   * One chunk per batch instead of one per line: every write into gzip is a trip to the thread
   * pool and every string hashed is encoded again, so a batch is encoded to bytes once and
   * handed to the checksum and to gzip whole.
   */
  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    this.hash.update(data);
    this.entries += lines.length;
    this.bytes += data.length;
    await this.push(data);
  }

  /**
   * Writes the trailer, flushes and syncs the file, gives it its final name without ever
   * replacing a file there, and syncs the folder so that the name survives a power loss.
   */
  async finish(): Promise<BackupTrailer> {
    if (this.failure) throw this.failure;
    const trailer: BackupTrailer = {
      entries: this.entries,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
    };
    this.gzip.end(`${JSON.stringify({ trailer })}\n`);
    await this.done;
    try {
      await syncPath(this.partialPath, 'r+');
      await this.publish();
      await syncPath(dirname(this.path), 'r');
    } catch (error) {
      throw writeFailed(this.path, error);
    }
    return trailer;
  }

  /** Discards the partial file (and the final one, if this writer made it); never masks the error that led here. */
  async abort(): Promise<void> {
    this.gzip.destroy();
    this.file.destroy();
    await this.done.catch(() => undefined);
    await rm(this.partialPath, { force: true }).catch(() => undefined);
    if (this.published) await rm(this.path, { force: true }).catch(() => undefined);
  }

  private async push(data: string | Buffer): Promise<void> {
    this.throwIfFailed();
    // A destroyed gzip never drains: `done` then rejects with the domain error instead.
    if (!this.gzip.write(data))
      await Promise.race([once(this.gzip, 'drain').catch(() => this.done), this.done]);
    this.throwIfFailed();
  }

  /** Rethrows the failure the file stream reported, if any (it can arrive during any wait). */
  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** link() fails with EEXIST where rename() would silently replace a file created meanwhile. */
  private async publish(): Promise<void> {
    try {
      await link(this.partialPath, this.path);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST')
        throw new BackupExistsError(
          `${this.path} already exists: a backup never replaces a file; choose another path`,
          { path: this.path },
        );
      if (!code || !NO_HARD_LINKS.has(code)) throw error;
      if (await taken(this.path))
        throw new BackupExistsError(
          `${this.path} already exists: a backup never replaces a file; choose another path`,
          { path: this.path },
        );
      await rename(this.partialPath, this.path);
      this.published = true;
      return;
    }
    this.published = true;
    await rm(this.partialPath);
  }
}

/** fsync of a file or a folder (a folder's entry list is what a rename changes). */
const syncPath = async (path: string, flags: 'r' | 'r+'): Promise<void> => {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};
