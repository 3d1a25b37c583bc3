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
import { entryChecker, EntryProblems } from './backup-entry.js';
import { errorMessage } from '../common/error-message.js';

const NEWLINE = 0x0a;

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
