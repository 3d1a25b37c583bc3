/**
 * What one entry line of a backup must look like for its header, checked while the file is
 * verified, before a restore writes anything: a Redis entry names a key inside the backup's
 * scope (its key prefix) with a type, an expiry and a DUMP payload; a PostgreSQL entry is a COPY
 * text row with one field per column. A sound Redis entry comes out of the check decoded, so a
 * restore parses and decodes each line once.
 */
import { escapeKeyName } from '../source/key-name.js';
import type { BackupHeader, RedisBackupEntry } from './backup.types.js';
import type { DecodedEntry } from './redis-entries.js';

/** A `TYPE` answer: the core types, and module types (`ReJSON-RL`, `MBbloom--`) whose DUMP restores too. */
const REDIS_TYPE = /^[A-Za-z0-9_-]{1,64}$/;

const SHOWN_KEY_LENGTH = 120;

/**
 * The bytes of a canonical base64 text (standard alphabet, padded), or null for any other
 * text: Buffer.from() skips characters outside the alphabet and takes the URL-safe one too, so
 * a damaged payload would decode quietly. Every skipped character shortens the result below
 * what the text's length promises, which is how damage shows without a second pass over it.
 */
const base64Bytes = (value: unknown): Buffer | null => {
  if (typeof value !== 'string' || value.length % 4 !== 0) return null;
  if (value.includes('-') || value.includes('_')) return null;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === (value.length / 4) * 3 - padding ? bytes : null;
};

const shownKey = (key: Buffer): string => {
  const text = escapeKeyName(key);
  return text.length > SHOWN_KEY_LENGTH ? `${text.slice(0, SHOWN_KEY_LENGTH)}...` : text;
};

/** A Redis entry line: its problem, or the entry decoded (what a restore writes). */
const checkRedisEntry = (line: string, scope: Buffer): string | DecodedEntry => {
  let entry: Partial<RedisBackupEntry>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'the entry is not a JSON object';
    entry = parsed;
  } catch {
    return 'the entry is not JSON';
  }
  const key = base64Bytes(entry.k);
  if (!key || key.length === 0) return 'the entry has no key';
  if (typeof entry.t !== 'string' || !REDIS_TYPE.test(entry.t) || entry.t === 'none')
    return 'the entry has no type';
  if (
    entry.e !== null &&
    !(typeof entry.e === 'number' && Number.isSafeInteger(entry.e) && entry.e > 0)
  )
    return 'the entry has no valid expiry';
  const dump = base64Bytes(entry.d);
  if (!dump || dump.length === 0) return 'the entry has no value';
  if (entry.h !== undefined && typeof entry.h !== 'string') return 'the entry has a damaged digest';
  if (key.length < scope.length || key.compare(scope, 0, scope.length, 0, scope.length) !== 0) {
    return `the key ${shownKey(key)} is outside the backup's scope ${shownKey(scope)}: refusing a file that would write keys it was not taken of`;
  }
  return { key, type: entry.t, expiresAt: entry.e ?? null, dump, digest: entry.h ?? null };
};

/** COPY text format: fields are separated by tabs, and a tab inside a value is written `\t`. */
const postgresEntryProblem = (line: string, columns: number): string | null => {
  let fields = 1;
  for (let i = line.indexOf('\t'); i >= 0; i = line.indexOf('\t', i + 1)) fields++;
  return fields === columns
    ? null
    : `the row has ${fields} fields, the backup's columns are ${columns}`;
};

/**
 * What checking an entry line gives: its problem (a string), the entry decoded (a sound Redis
 * entry, so a restore parses each line once), or null (a sound PostgreSQL row).
 */
export type EntryCheck = string | DecodedEntry | null;

/** The check of each entry line of a file with this header (see `EntryCheck`). */
export const entryChecker = (header: BackupHeader): ((line: string) => EntryCheck) => {
  if (header.kind === 'redis') {
    const scope = Buffer.from(header.scope, 'utf8');
    return (line) => checkRedisEntry(line, scope);
  }
  const columns = Array.isArray(header.columns) ? header.columns.length : 0;
  if (columns === 0) return () => 'the header names no columns';
  return (line) => postgresEntryProblem(line, columns);
};

/** How many sample problems a scan lists before it only counts the rest. */
const ENTRY_PROBLEM_SAMPLES = 5;

/** The damaged entries of a file: the first few with their line, then a count. */
export class EntryProblems {
  private readonly samples: string[] = [];
  private count = 0;

  note(line: number, problem: string): void {
    this.count++;
    if (this.samples.length < ENTRY_PROBLEM_SAMPLES) this.samples.push(`line ${line}: ${problem}`);
  }

  summary(): string[] {
    const more = this.count - this.samples.length;
    return more > 0
      ? [...this.samples, `${more} more damaged or out-of-scope entries`]
      : this.samples;
  }
}
