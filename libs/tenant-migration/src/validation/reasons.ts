import type { OutcomeReason } from '../common/outcome-reason.js';

/** Every code a rejected value can carry. Stable: reports and alerting key on them. */
export const REJECTION_CODES = [
  // the value as a whole
  'value-too-large',
  'invalid-utf8',
  'invalid-json',
  'not-an-object',
  'duplicate-field',
  'unknown-field',
  'missing-field',
  'invalid-type',
  // subdomain (the key's, or the body's `subdomain`)
  'subdomain-empty',
  'subdomain-too-long',
  'subdomain-invalid-chars',
  'subdomain-hyphen-edge',
  'subdomain-double-hyphen',
  'subdomain-reserved',
  'subdomain-mismatch',
  // fields
  'invalid-emoji',
  'timestamp-not-integer',
  'timestamp-out-of-range',
  'timestamp-unparseable',
  'expires-before-created',
  'invalid-email',
  'email-too-long',
  'invalid-phone',
  'text-too-long',
  'invalid-url',
  'invalid-category',
  'invalid-plan',
  'invalid-status',
  'invalid-color',
  'invalid-source-id',
  // given by the migration engine, not by validation: a hash, list or other non-string key,
  // a (normalised) subdomain that another key already holds, a key name that is not UTF-8,
  // and a record PostgreSQL refused to store (quarantined by itself; its batch migrated)
  'wrong-type',
  'subdomain-conflict',
  'invalid-key-name',
  'unstorable',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** Every code a note on an accepted value can carry: what was changed on the way in. */
export const NOTE_CODES = [
  'renamed-subdomain',
  'coerced-created-at',
  'coerced-expires-at',
  'coerced-source-id',
  'sanitized-text',
  'empty-value',
  'mapped-category',
  'normalized-email',
  'normalized-phone',
] as const;
export type NoteCode = (typeof NOTE_CODES)[number];

export type ReasonCode = RejectionCode | NoteCode;

/** Builds a reason; `field` is left out (not `undefined`) when it does not apply. */
export const reason = (code: ReasonCode, message: string, field?: string): OutcomeReason =>
  field === undefined ? { code, message } : { code, message, field };

/** The shared empty list: accepted fields return it instead of allocating. */
export const NO_REASONS: readonly OutcomeReason[] = Object.freeze([]);

/** Shortens a value for a message, so a 64 KiB string never ends up in a report. */
export const preview = (value: unknown): string => {
  // JSON numbers past a double's range or precision arrive changed: say so rather than show
  // `null` (what JSON.stringify writes for Infinity) or a silently rounded integer.
  if (typeof value === 'number' && !Number.isFinite(value))
    return `a number too large to represent (${value < 0 ? '-' : ''}beyond 1.8e308)`;
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return `${value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 })} (rounded: an integer this large has no exact value)`;
  }
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  if (text.length <= 80) return text;
  // never cut a surrogate pair in half: a lone surrogate is not storable in jsonb
  const end = isHighSurrogate(text.charCodeAt(76)) ? 76 : 77;
  return `${text.slice(0, end)}...`;
};

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/** A name for the JSON type of a value, for `invalid-type` messages. */
export const jsonTypeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

export const invalidType = (field: string, expected: string, value: unknown): OutcomeReason =>
  reason('invalid-type', `${field} must be ${expected}, not ${jsonTypeOf(value)}`, field);

export const unknownField = (field: string): OutcomeReason =>
  reason('unknown-field', `${field} is not a field of the tenant format`, field);

/** A JSON object (what `JSON.parse` makes of `{...}`): not null, not an array. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const missingField = (field: string): OutcomeReason =>
  reason('missing-field', `${field} is required`, field);

/** A member name the value repeats: `JSON.parse` would keep the last one silently. */
export const duplicateField = (field: string, count: number): OutcomeReason =>
  reason(
    'duplicate-field',
    `field ${preview(field)} appears ${count} times in the value; it is ambiguous`,
    field,
  );
