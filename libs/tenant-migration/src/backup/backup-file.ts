/**
 * The backup file format: gzip of newline-delimited lines. The first line is a JSON header,
 * the last a JSON trailer `{"trailer":{entries,bytes,sha256}}`; every line in between is one
 * entry. The trailer's sha256 covers the header line and every entry line (each with its
 * newline), so a file edited anywhere fails it; `entries` and `bytes` count the entry lines.
 * Every entry must be well formed for its kind and, for Redis, name a key inside the header's
 * scope (its key prefix): a restore writes no key the backup was not taken of.
 * Reading (here) checks all of it in one pass; a truncated or edited file fails its trailer.
 * Writing: backup-file-writer.ts.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import {
  BackupIoError,
  BackupNotFoundError,
  InvalidBackupError,
  TenantMigrationError,
} from '../errors/index.js';
import { errnoOf } from '../common/file-errors.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  READABLE_BACKUP_FORMAT_VERSIONS,
  type BackupHeader,
  type BackupTrailer,
} from './backup.types.js';
import { entryChecker, EntryProblems, type EntryCheck } from './backup-entry.js';
import type { DecodedEntry } from './redis-entries.js';
import { errorMessage } from '../common/error-message.js';

const NEWLINE = 0x0a;
/** What `handleLine` answers for a line without an async `onEntry` (no object per line). */
const HASHED = { hashed: true } as const;
const NOT_HASHED = { hashed: false } as const;

/** Why a backup path cannot be read, as the error the caller can act on. */
const unreadable = (path: string, error: unknown): TenantMigrationError => {
  const code = errnoOf(error);
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new BackupNotFoundError(`no backup file at ${path}`, { path });
  if (code === 'EACCES' || code === 'EPERM')
    return new InvalidBackupError(`cannot read the backup ${path}: permission denied`, {
      path,
      code,
    });
  if (code === 'EISDIR')
    return new InvalidBackupError(`${path} is a folder, not a backup file`, { path });
  if (code === 'ENAMETOOLONG' || code === 'ELOOP')
    return new InvalidBackupError(`cannot open the backup ${path} (${code})`, { path, code });
  return new BackupIoError(
    `could not read the backup ${path}`,
    { path, code: code ?? null },
    { cause: error },
  );
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
    if (stats.isDirectory())
      throw new InvalidBackupError(`${path} is a folder, not a backup file`, { path });
    if (!stats.isFile())
      throw new InvalidBackupError(`${path} is not a regular file, not a backup file`, { path });
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

/** What `scanBackupFile` hands each sound entry: its line, and a Redis entry decoded (null for PostgreSQL). */
export type EntryHandler = (line: string, entry: DecodedEntry | null) => void | Promise<void>;

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
  onEntry?: EntryHandler,
): Promise<BackupFileScan> => {
  const hash = createHash('sha256');
  const scan: BackupFileScan = {
    header: null,
    trailer: null,
    entries: 0,
    bytes: 0,
    sha256: '',
    problems: [],
  };
  let carry: Buffer = Buffer.alloc(0);
  let lineNumber = 0;
  let entryFailed = false;
  let checkEntry: ((line: string) => EntryCheck) | null = null;
  const badEntries = new EntryProblems();

  /** `onEntry`, remembering that a failure is the caller's, not the file's. */
  const deliver = (text: string, entry: DecodedEntry | null): Promise<void> | undefined => {
    let result: void | Promise<void>;
    try {
      result = onEntry?.(text, entry);
    } catch (error) {
      entryFailed = true;
      throw error;
    }
    if (!(result instanceof Promise)) return undefined;
    return result.catch((error: unknown) => {
      entryFailed = true;
      throw error;
    });
  };

  /**
   * Reads one line: whether it counts in the checksum (the caller hashes whole runs of such
   * lines at once), and the wait for `onEntry` when it is async. A synchronous `onEntry` (most
   * lines of a restore only join a batch) costs no promise per line.
   */
  const handleLine = (raw: Buffer): { hashed: boolean; wait?: Promise<void> } => {
    lineNumber++;
    if (scan.trailer) {
      scan.problems.push(`data after the trailer at line ${lineNumber}`);
      return NOT_HASHED;
    }
    const text = raw.toString('utf8');
    if (lineNumber === 1) {
      scan.header = parseHeader(text, scan.problems);
      if (scan.header) checkEntry = entryChecker(scan.header);
      return scan.header && scan.header.version >= 2 ? HASHED : NOT_HASHED;
    }
    if (text.startsWith('{"trailer":')) {
      scan.trailer = parseTrailer(text, scan.problems);
      return NOT_HASHED;
    }
    scan.entries++;
    scan.bytes += raw.length + 1;
    const checked = checkEntry?.(text) ?? null;
    if (typeof checked === 'string') {
      badEntries.note(lineNumber, checked);
      return HASHED;
    }
    if (!onEntry || !scan.header) return HASHED;
    const wait = deliver(text, checked);
    return wait ? { hashed: true, wait } : HASHED;
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
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      // [run, start): lines read that count in the checksum and are not hashed yet. One
      // update per run instead of two per line; the order of the bytes hashed is the file's.
      let run = 0;
      let start = 0;
      for (let newline = data.indexOf(NEWLINE); newline >= 0;) {
        const line = handleLine(data.subarray(start, newline));
        if (!line.hashed) {
          if (start > run) hash.update(data.subarray(run, start));
          run = newline + 1;
        }
        start = newline + 1;
        if (line.wait) await line.wait;
        newline = data.indexOf(NEWLINE, start);
      }
      if (start > run) hash.update(data.subarray(run, start));
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) scan.problems.push('the file ends in the middle of a line');
  } catch (error) {
    // What the caller does with an entry (a restore's Redis, a COPY) is not damage of the file.
    if (entryFailed) throw error;
    if (readError) throw unreadable(path, readError);
    scan.problems.push(
      `the file cannot be read to its end (truncated or not a backup): ${errorMessage(error)}`,
    );
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
    if (scan.trailer.entries !== scan.entries)
      scan.problems.push(
        `the trailer counts ${scan.trailer.entries} entries, the file holds ${scan.entries}`,
      );
    if (scan.trailer.bytes !== scan.bytes)
      scan.problems.push(
        `the trailer counts ${scan.trailer.bytes} bytes, the file holds ${scan.bytes}`,
      );
    if (scan.trailer.sha256 !== scan.sha256)
      scan.problems.push('the checksum does not match: the file was altered');
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
      problems.push(
        `backup format version ${String(header.version)} is not supported (this version reads ${READABLE_BACKUP_FORMAT_VERSIONS.join(' and ')}; it writes ${BACKUP_FORMAT_VERSION})`,
      );
      return null;
    }
    if (
      (header.kind !== 'redis' && header.kind !== 'postgres') ||
      typeof header.scope !== 'string' ||
      header.scope === ''
    ) {
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
    if (
      typeof trailer?.entries === 'number' &&
      typeof trailer.bytes === 'number' &&
      typeof trailer.sha256 === 'string'
    )
      return trailer;
  } catch {
    // reported below
  }
  problems.push('the trailer is damaged');
  return null;
};
