/**
 * The backup file format: gzip of newline-delimited lines. The first line is a JSON header,
 * the last a JSON trailer `{"trailer":{entries,bytes,sha256}}`; every line in between is one
 * entry. The trailer's sha256 covers the header line and every entry line (each with its
 * newline), so a file edited anywhere fails it; `entries` and `bytes` count the entry lines.
 * Every entry must be well formed for its kind and, for Redis, name a key inside the header's
 * scope (its key prefix): a restore writes no key the backup was not taken of.
 * A file is written under a `.partial` name and renamed only once complete and synced, so a
 * crash never leaves a file that looks complete; a truncated or edited file fails its trailer.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import {
  BackupExistsError,
  BackupIoError,
  BackupNotFoundError,
  InvalidBackupError,
  InvalidOptionError,
  TenantMigrationError,
} from '../errors/index.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, READABLE_BACKUP_FORMAT_VERSIONS, type BackupHeader, type BackupTrailer } from './backup.types.js';
import { entryChecker } from './backup-entry.js';

const NEWLINE = 0x0a;

/** The system error code (`ENOENT`, `ENOSPC`...) of a failed file operation, if it has one. */
const errnoOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

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
  const code = errnoOf(error);
  const folder = dirname(path);
  const reasons: Record<string, string> = {
    ENOENT: 'does not exist and cannot be created',
    ENOTDIR: 'is not a folder',
    EEXIST: 'is not a folder',
    EACCES: 'is not writable',
    EPERM: 'is not writable',
    EROFS: 'is on a read-only file system',
    ENAMETOOLONG: 'has too long a name',
    ELOOP: 'has too many symbolic links',
  };
  const reason = code ? reasons[code] : undefined;
  if (reason) return new InvalidOptionError(`cannot write the backup ${path}: its folder ${folder} ${reason}`, { path, folder, code });
  return writeFailed(path, error);
};

/** Writing failed once the file was open: the machine's fault (exit 3, 503), not the caller's. */
const writeFailed = (path: string, error: unknown): TenantMigrationError => {
  if (error instanceof TenantMigrationError) return error;
  const code = errnoOf(error);
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new BackupIoError(`${full ? 'the disk is full: ' : ''}could not write the backup ${path}`, { path, code: code ?? null }, { cause: error });
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
  ) {
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
      throw new BackupExistsError(`${path} already exists: a backup never replaces a file; choose another path`, { path });
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

  /** Appends one entry line (without its newline); waits when the disk is behind. */
  async write(line: string): Promise<void> {
    const data = `${line}\n`;
    this.hash.update(data);
    this.entries++;
    this.bytes += Buffer.byteLength(data);
    await this.push(data);
  }

  /**
   * Writes the trailer, flushes and syncs the file, gives it its final name without ever
   * replacing a file there, and syncs the folder so that the name survives a power loss.
   */
  async finish(): Promise<BackupTrailer> {
    if (this.failure) throw this.failure;
    const trailer: BackupTrailer = { entries: this.entries, bytes: this.bytes, sha256: this.hash.digest('hex') };
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

  private async push(data: string): Promise<void> {
    if (this.failure) throw this.failure;
    // A destroyed gzip never drains: `done` then rejects with the domain error instead.
    if (!this.gzip.write(data)) await Promise.race([once(this.gzip, 'drain').catch(() => this.done), this.done]);
    if (this.failure) throw this.failure;
  }

  /** link() fails with EEXIST where rename() would silently replace a file created meanwhile. */
  private async publish(): Promise<void> {
    try {
      await link(this.partialPath, this.path);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST') throw new BackupExistsError(`${this.path} already exists: a backup never replaces a file; choose another path`, { path: this.path });
      if (!code || !NO_HARD_LINKS.has(code)) throw error;
      if (await taken(this.path)) throw new BackupExistsError(`${this.path} already exists: a backup never replaces a file; choose another path`, { path: this.path });
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

/** Why a backup path cannot be read, as the error the caller can act on. */
const unreadable = (path: string, error: unknown): TenantMigrationError => {
  const code = errnoOf(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new BackupNotFoundError(`no backup file at ${path}`, { path });
  if (code === 'EACCES' || code === 'EPERM') return new InvalidBackupError(`cannot read the backup ${path}: permission denied`, { path, code });
  if (code === 'EISDIR') return new InvalidBackupError(`${path} is a folder, not a backup file`, { path });
  if (code === 'ENAMETOOLONG' || code === 'ELOOP') return new InvalidBackupError(`cannot open the backup ${path} (${code})`, { path, code });
  return new BackupIoError(`could not read the backup ${path}`, { path, code: code ?? null }, { cause: error });
};

/** Opens a backup for reading: a missing path, a folder or an unreadable file is a typed error. */
const openForReading = async (path: string): Promise<FileHandle> => {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    // Linux opens a folder for reading; only the first read would fail (EISDIR).
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new InvalidBackupError(`${path} is a folder, not a backup file`, { path });
    if (!stats.isFile()) throw new InvalidBackupError(`${path} is not a regular file, not a backup file`, { path });
    return handle;
  } catch (error) {
    await handle.close();
    throw error instanceof TenantMigrationError ? error : unreadable(path, error);
  }
};

/** What reading a backup file found. `problems` is empty for an intact file. */
export interface BackupFileScan {
  header: BackupHeader | null;
  trailer: BackupTrailer | null;
  entries: number;
  bytes: number;
  sha256: string;
  problems: string[];
}

/**
 * Reads a backup file from start to end in constant memory, handing each entry line to
 * `onEntry` (which may be async: reading waits for it), and checks the header, the trailer
 * and the checksum. It never throws for a damaged file: damage is reported in `problems`.
 * It throws a domain error for a path that is not a readable file (BackupNotFoundError,
 * InvalidBackupError), for a read that fails on the disk (BackupIoError), and `onEntry`'s own
 * error as it is.
 */
export const scanBackupFile = async (
  path: string,
  onEntry?: (line: string) => void | Promise<void>,
): Promise<BackupFileScan> => {
  const hash = createHash('sha256');
  const scan: BackupFileScan = { header: null, trailer: null, entries: 0, bytes: 0, sha256: '', problems: [] };
  let carry: Buffer = Buffer.alloc(0);
  let lineNumber = 0;
  let entryFailed = false;
  let checkEntry: ((line: string) => string | null) | null = null;
  const badEntries = new EntryProblems();

  const handleLine = async (raw: Buffer): Promise<void> => {
    lineNumber++;
    if (scan.trailer) {
      scan.problems.push(`data after the trailer at line ${lineNumber}`);
      return;
    }
    const text = raw.toString('utf8');
    if (lineNumber === 1) {
      scan.header = parseHeader(text, scan.problems);
      if (scan.header && scan.header.version >= 2) {
        hash.update(raw);
        hash.update('\n');
      }
      if (scan.header) checkEntry = entryChecker(scan.header);
      return;
    }
    if (text.startsWith('{"trailer":')) {
      scan.trailer = parseTrailer(text, scan.problems);
      return;
    }
    hash.update(raw);
    hash.update('\n');
    scan.entries++;
    scan.bytes += raw.length + 1;
    const problem = checkEntry?.(text);
    if (problem) badEntries.note(lineNumber, problem);
    if (!onEntry || !scan.header || problem) return;
    try {
      await onEntry(text);
    } catch (error) {
      entryFailed = true;
      throw error;
    }
  };

  const handle = await openForReading(path);
  const file = handle.createReadStream();
  const gunzip = createGunzip();
  // pipe() does not forward errors: without this listener a read error (EIO) would be an
  // unhandled 'error' that ends the process, and the scan would wait forever.
  let readError: unknown = null;
  file.on('error', (error) => {
    readError = error;
    gunzip.destroy(error);
  });
  try {
    for await (const chunk of file.pipe(gunzip) as AsyncIterable<Buffer>) {
      let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let newline = data.indexOf(NEWLINE);
      while (newline >= 0) {
        await handleLine(data.subarray(0, newline));
        data = data.subarray(newline + 1);
        newline = data.indexOf(NEWLINE);
      }
      carry = Buffer.from(data);
    }
    if (carry.length > 0) scan.problems.push('the file ends in the middle of a line');
  } catch (error) {
    // What the caller does with an entry (a restore's Redis, a COPY) is not damage of the file.
    if (entryFailed) throw error;
    if (readError) throw unreadable(path, readError);
    scan.problems.push(`the file cannot be read to its end (truncated or not a backup): ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    // Closes the file (and its handle) also when the scan stopped early.
    file.destroy();
  }

  scan.problems.push(...badEntries.summary());
  scan.sha256 = hash.digest('hex');
  if (!scan.header && scan.problems.length === 0) scan.problems.push('the file has no header');
  if (!scan.trailer) {
    scan.problems.push('the file has no trailer: it is incomplete');
  } else {
    if (scan.trailer.entries !== scan.entries) scan.problems.push(`the trailer counts ${scan.trailer.entries} entries, the file holds ${scan.entries}`);
    if (scan.trailer.bytes !== scan.bytes) scan.problems.push(`the trailer counts ${scan.trailer.bytes} bytes, the file holds ${scan.bytes}`);
    if (scan.trailer.sha256 !== scan.sha256) scan.problems.push('the checksum does not match: the file was altered');
  }
  return scan;
};

const parseHeader = (text: string, problems: string[]): BackupHeader | null => {
  try {
    const header = JSON.parse(text) as BackupHeader;
    if (header.format !== BACKUP_FORMAT) {
      problems.push('not a tenant-migrate backup (unknown header)');
      return null;
    }
    if (!READABLE_BACKUP_FORMAT_VERSIONS.includes(header.version)) {
      problems.push(`backup format version ${String(header.version)} is not supported (this version reads ${READABLE_BACKUP_FORMAT_VERSIONS.join(' and ')}; it writes ${BACKUP_FORMAT_VERSION})`);
      return null;
    }
    if ((header.kind !== 'redis' && header.kind !== 'postgres') || typeof header.scope !== 'string' || header.scope === '') {
      problems.push('the header is damaged: it has no kind or no scope');
      return null;
    }
    return header;
  } catch {
    problems.push('not a tenant-migrate backup (the header is not JSON)');
    return null;
  }
};

const parseTrailer = (text: string, problems: string[]): BackupTrailer | null => {
  try {
    const { trailer } = JSON.parse(text) as { trailer: BackupTrailer };
    if (typeof trailer?.entries === 'number' && typeof trailer.bytes === 'number' && typeof trailer.sha256 === 'string') return trailer;
  } catch {
    // reported below
  }
  problems.push('the trailer is damaged');
  return null;
};

/** How many sample problems a scan lists before it only counts the rest. */
const ENTRY_PROBLEM_SAMPLES = 5;

/** The damaged entries of a file: the first few with their line, then a count. */
class EntryProblems {
  private readonly samples: string[] = [];
  private count = 0;

  note(line: number, problem: string): void {
    this.count++;
    if (this.samples.length < ENTRY_PROBLEM_SAMPLES) this.samples.push(`line ${line}: ${problem}`);
  }

  summary(): string[] {
    const more = this.count - this.samples.length;
    return more > 0 ? [...this.samples, `${more} more damaged or out-of-scope entries`] : this.samples;
  }
}
