/** The rules of a tenant lookup that read no store: what of a value is shown, and the state. */
import { isUtf8 } from 'node:buffer';
import type { KeyspaceEntry } from '../source/keyspace-entry.js';
import type { InspectedKey } from '../source/redis-tenant-keys.repository.js';
import type { TenantLookupRedis, TenantLookupState } from './tenant-lookup.types.js';

/** How much of a value a lookup shows (and, at least, reads). */
export const TENANT_LOOKUP_SHOWN_BYTES = 65_536;
/** How many bytes of a value that is not UTF-8 are shown, as hex. */
export const TENANT_LOOKUP_HEX_BYTES = 256;
/** How many quarantine and audit entries a lookup lists. */
export const TENANT_LOOKUP_HISTORY_LIMIT = 50;

/**
 * The bytes without a last character the end cut in two: a UTF-8 lead byte among the last
 * three whose sequence needs more bytes than follow it is dropped with what follows it.
 */
export const withoutSplitCharacter = (bytes: Buffer): Buffer => {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
};

/**
 * What a lookup shows of a string value of `bytes` bytes whose first bytes are `head`: the
 * first TENANT_LOOKUP_SHOWN_BYTES of them as text when they are valid UTF-8 (when the value is
 * longer, without a character the cut split), else the first TENANT_LOOKUP_HEX_BYTES as hex.
 */
export const shownValue = (
  head: Buffer,
  bytes: number,
): Pick<TenantLookupRedis, 'text' | 'hexPrefix' | 'truncated'> => {
  const truncated = bytes > TENANT_LOOKUP_SHOWN_BYTES;
  const shown = head.subarray(0, TENANT_LOOKUP_SHOWN_BYTES);
  const whole = truncated ? withoutSplitCharacter(shown) : shown;
  if (isUtf8(whole)) return { text: whole.toString('utf8'), hexPrefix: null, truncated };
  return {
    text: null,
    hexPrefix: shown.subarray(0, TENANT_LOOKUP_HEX_BYTES).toString('hex'),
    truncated,
  };
};

/**
 * How many bytes of a string a lookup reads: those it shows, and at least every byte of a value
 * a migration would read (`maxValueBytes`), so that it maps the value exactly as a migration.
 */
export const lookupReadBytes = (maxValueBytes: number): number =>
  Math.max(TENANT_LOOKUP_SHOWN_BYTES, maxValueBytes);

/**
 * The inspected key as the keyspace reader would have found it, for the classifier: another
 * type, a value over `maxValueBytes`, or the value itself (read whole: see `lookupReadBytes`).
 */
export const keyspaceEntryOf = (
  key: string,
  inspected: InspectedKey,
  maxValueBytes: number,
): KeyspaceEntry => {
  if (inspected.type !== 'string' || inspected.bytes === null || inspected.head === null)
    return { key, kind: 'wrong-type', type: inspected.type };
  if (inspected.bytes > maxValueBytes) return { key, kind: 'too-large', size: inspected.bytes };
  return { key, kind: 'value', value: inspected.head };
};

/** What a lookup found of one tenant, for its state. */
export interface LookupFacts {
  /** The key exists. */
  inRedis: boolean;
  /** Its value is a record a migration accepts. */
  validInRedis: boolean;
  inPostgres: boolean;
  /** Both hold the tenant and a compared field differs (the check's `ROW_DIFFERS`). */
  differs: boolean;
}

/** The tenant's state (see `TenantLookupState`); null when neither store has it. */
export const lookupStateOf = (facts: LookupFacts): TenantLookupState | null => {
  if (!facts.inRedis) return facts.inPostgres ? 'only-in-postgres' : null;
  if (!facts.validInRedis) return 'invalid-in-redis';
  if (!facts.inPostgres) return 'only-in-redis';
  return facts.differs ? 'different' : 'matching';
};
