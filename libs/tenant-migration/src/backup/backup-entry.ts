/**
 * What one entry line of a backup must look like for its header, checked while the file is
 * verified, before a restore writes anything: a Redis entry names a key inside the backup's
 * scope (its key prefix) with a type, an expiry and a DUMP payload; a PostgreSQL entry is a COPY
 * text row with one field per column.
 */
import { escapeKeyName } from '../source/key-name.js';
import type { BackupHeader, RedisBackupEntry } from './backup.types.js';

/** A `TYPE` answer: the core types, and module types (`ReJSON-RL`, `MBbloom--`) whose DUMP restores too. */
const REDIS_TYPE = /^[A-Za-z0-9_-]{1,64}$/;

const SHOWN_KEY_LENGTH = 120;

/** Canonical base64 only: Buffer.from() skips any other character, so a damaged payload would decode quietly. */
const isBase64 = (value: unknown): value is string =>
  typeof value === 'string' && value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);

const shownKey = (key: Buffer): string => {
  const text = escapeKeyName(key);
  return text.length > SHOWN_KEY_LENGTH ? `${text.slice(0, SHOWN_KEY_LENGTH)}...` : text;
};

const redisEntryProblem = (line: string, scope: Buffer): string | null => {
  let entry: Partial<RedisBackupEntry>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return 'the entry is not a JSON object';
    entry = parsed;
  } catch {
    return 'the entry is not JSON';
  }
  if (!isBase64(entry.k) || entry.k === '') return 'the entry has no key';
  if (typeof entry.t !== 'string' || !REDIS_TYPE.test(entry.t) || entry.t === 'none')
    return 'the entry has no type';
  if (
    entry.e !== null &&
    !(typeof entry.e === 'number' && Number.isSafeInteger(entry.e) && entry.e > 0)
  )
    return 'the entry has no valid expiry';
  if (!isBase64(entry.d) || entry.d === '') return 'the entry has no value';
  if (entry.h !== undefined && typeof entry.h !== 'string') return 'the entry has a damaged digest';
  const key = Buffer.from(entry.k, 'base64');
  if (key.length < scope.length || !key.subarray(0, scope.length).equals(scope)) {
    return `the key ${shownKey(key)} is outside the backup's scope ${shownKey(scope)}: refusing a file that would write keys it was not taken of`;
  }
  return null;
};

/** COPY text format: fields are separated by tabs, and a tab inside a value is written `\t`. */
const postgresEntryProblem = (line: string, columns: number): string | null => {
  let fields = 1;
  for (let i = line.indexOf('\t'); i >= 0; i = line.indexOf('\t', i + 1)) fields++;
  return fields === columns
    ? null
    : `the row has ${fields} fields, the backup's columns are ${columns}`;
};

/** The check of each entry line of a file with this header: a problem, or null for a sound entry. */
export const entryChecker = (header: BackupHeader): ((line: string) => string | null) => {
  if (header.kind === 'redis') {
    const scope = Buffer.from(header.scope, 'utf8');
    return (line) => redisEntryProblem(line, scope);
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
