import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryChecker } from './backup-entry.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type BackupHeader } from './backup.types.js';

const header: BackupHeader = {
  format: BACKUP_FORMAT,
  version: BACKUP_FORMAT_VERSION,
  id: '00000000-0000-4000-8000-000000000000',
  kind: 'redis',
  createdAt: new Date(0).toISOString(),
  source: { host: 'localhost', port: 6379, database: '0' },
  scope: 'subdomain:',
};
const check = entryChecker(header);
const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ k: b64('subdomain:pizza'), t: 'string', e: null, d: b64('abcdef'), ...fields });

/** The problem the check names; a line it finds sound fails the test. */
const problemOf = (text: string): string => {
  const checked = check(text);
  assert.equal(typeof checked, 'string', `expected a problem for ${text}`);
  return checked as string;
};

describe('entryChecker (Redis)', () => {
  it('decodes a sound entry: key and payload bytes, type, expiry, digest', () => {
    assert.deepEqual(check(line({ e: 42, t: 'hash', h: 'f00d' })), {
      key: Buffer.from('subdomain:pizza'),
      type: 'hash',
      expiresAt: 42,
      dump: Buffer.from('abcdef'),
      digest: 'f00d',
    });
    const binary = Buffer.concat([Buffer.from('subdomain:'), Buffer.from([0xff, 0, 0xfe])]);
    assert.deepEqual(
      (check(line({ k: b64(binary), d: b64(Buffer.from([1])) })) as { key: Buffer }).key,
      binary,
    );
  });

  it('refuses base64 that would decode quietly to other bytes', () => {
    const payload = b64('abcdef'); // "YWJjZGVm"
    const damaged = [
      `${payload.slice(0, 3)} ${payload.slice(4)}`, // a space instead of a character
      `${payload.slice(0, 3)}-${payload.slice(4)}`, // the URL-safe alphabet
      `${payload.slice(0, 3)}_${payload.slice(4)}`,
      `${payload.slice(0, 2)}==${payload.slice(4)}`, // padding in the middle
      `${payload}====`, // too much padding
      'YWJjZGV', // not a whole number of quads
      'YWJjZGVé',
      '',
    ];
    for (const d of damaged) assert.equal(check(line({ d })), 'the entry has no value', d);
    assert.equal(check(line({ k: 'c3Vi-G9t' })), 'the entry has no key');
    assert.equal(check(line({ d: 12 })), 'the entry has no value');
  });

  it('keeps refusing keys outside the scope and malformed fields', () => {
    assert.match(problemOf(line({ k: b64('other:pizza') })), /outside the backup's scope/);
    assert.match(problemOf(line({ k: b64('subdomain') })), /outside the backup's scope/);
    assert.equal(check(line({ t: 'none' })), 'the entry has no type');
    assert.equal(check(line({ e: 0 })), 'the entry has no valid expiry');
    assert.equal(check(line({ h: 1 })), 'the entry has a damaged digest');
    assert.equal(check('[1]'), 'the entry is not a JSON object');
    assert.equal(check('{'), 'the entry is not JSON');
  });
});
