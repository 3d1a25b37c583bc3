/**
 * The backup file format: gzip of newline-delimited lines. The first line is a JSON header,
 * the last a JSON trailer `{"trailer":{entries,bytes,sha256}}`; every line in between is one
 * entry, and the trailer's sha256 covers exactly those entry lines (each with its newline).
 * A file is written under a `.partial` name and renamed only once complete and synced, so a
 * crash never leaves a file that looks complete; a truncated or edited file fails its trailer.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupHeader, type BackupTrailer } from './backup.types.js';

const NEWLINE = 0x0a;

export class BackupFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private entries = 0;
  private bytes = 0;

  private constructor(
    readonly path: string,
    private readonly partialPath: string,
    private readonly gzip: Gzip,
    private readonly file: WriteStream,
  ) {}

  /** Creates `<path>.partial` (and its folder) and writes the header. */
  static async create(path: string, header: BackupHeader): Promise<BackupFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    const partialPath = `${path}.partial`;
    const gzip = createGzip({ level: 6 });
    const file = createWriteStream(partialPath, { flags: 'wx' });
    await once(file, 'open');
    gzip.pipe(file);
    const writer = new BackupFileWriter(path, partialPath, gzip, file);
    await writer.push(`${JSON.stringify(header)}\n`);
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

  /** Writes the trailer, flushes, syncs and renames the file to its final name. */
  async finish(): Promise<BackupTrailer> {
    const trailer: BackupTrailer = { entries: this.entries, bytes: this.bytes, sha256: this.hash.digest('hex') };
    this.gzip.end(`${JSON.stringify({ trailer })}\n`);
    await finished(this.file);
    const handle = await open(this.partialPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.partialPath, this.path);
    return trailer;
  }

  /** Discards the partial file. */
  async abort(): Promise<void> {
    this.gzip.destroy();
    this.file.destroy();
    await rm(this.partialPath, { force: true });
  }

  private async push(data: string): Promise<void> {
    if (!this.gzip.write(data)) await once(this.gzip, 'drain');
  }
}

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
 */
export const scanBackupFile = async (
  path: string,
  onEntry?: (line: string) => void | Promise<void>,
): Promise<BackupFileScan> => {
  const hash = createHash('sha256');
  const scan: BackupFileScan = { header: null, trailer: null, entries: 0, bytes: 0, sha256: '', problems: [] };
  let carry: Buffer = Buffer.alloc(0);
  let lineNumber = 0;

  const handleLine = async (raw: Buffer): Promise<void> => {
    lineNumber++;
    if (scan.trailer) {
      scan.problems.push(`data after the trailer at line ${lineNumber}`);
      return;
    }
    const text = raw.toString('utf8');
    if (lineNumber === 1) {
      scan.header = parseHeader(text, scan.problems);
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
    if (onEntry && scan.header) await onEntry(text);
  };

  try {
    const input = createReadStream(path).pipe(createGunzip());
    for await (const chunk of input as AsyncIterable<Buffer>) {
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
    const code = (error as { code?: string }).code;
    scan.problems.push(
      code === 'ENOENT'
        ? `no backup file at ${path}`
        : `the file cannot be read to its end (truncated or not a backup): ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  scan.sha256 = hash.digest('hex');
  if (!scan.header && scan.problems.length === 0) scan.problems.push('the file has no header');
  if (!scan.trailer) {
    if (!scan.problems.some((p) => p.startsWith('no backup file'))) scan.problems.push('the file has no trailer: it is incomplete');
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
    if (header.version !== BACKUP_FORMAT_VERSION) {
      problems.push(`backup format version ${header.version} is not supported (expected ${BACKUP_FORMAT_VERSION})`);
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
