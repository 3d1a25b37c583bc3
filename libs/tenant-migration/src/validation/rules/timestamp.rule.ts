import type { OutcomeReason } from '../../common/outcome-reason.js';
import { invalidType, preview, reason } from '../reasons.js';
import type { TimestampRange } from '../validation.types.js';

/** A timestamp as epoch milliseconds; `coerced` when it came from a string. */
export type TimestampOutcome =
  | { readonly ok: true; readonly value: number; readonly coerced: boolean }
  | { readonly ok: false; readonly reasons: readonly OutcomeReason[] };

const DIGITS = /^\d{1,16}$/;
/**
 * ISO-8601 / RFC 3339: a date, or a date-time WITH a zone (`Z` or `±hh:mm`). A date-time
 * without a zone is refused: its meaning would depend on the machine's time zone.
 * Fractions beyond milliseconds are truncated (milliseconds are the stored resolution).
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2})))?$/;

const rangeText = (range: TimestampRange): string =>
  `${new Date(range.min).toISOString()} <= t < ${new Date(range.max).toISOString()}`;

/**
 * Reads an epoch-millisecond timestamp. Accepted: an integer number within `range`; a string
 * of digits ("1700000000000") or an ISO-8601 date/date-time with zone, both coerced (and
 * flagged as such). Rejected: floats, NaN/Infinity, negative or out-of-range numbers, other
 * strings, other types. Seconds are never guessed from small numbers: they are out of range.
 */
export function coerceTimestamp(
  value: unknown,
  range: TimestampRange,
  field: string,
): TimestampOutcome {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return fail(
        reason(
          'timestamp-not-integer',
          `${field} must be an integer number of milliseconds, got ${preview(value)}`,
          field,
        ),
      );
    }
    return inRange(value, range, field, false);
  }
  if (typeof value !== 'string')
    return fail(invalidType(field, 'an epoch-millisecond number', value));
  if (DIGITS.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return inRange(ms, range, field, true);
  } else {
    const ms = parseIso(value);
    if (ms !== undefined) return inRange(ms, range, field, true);
  }
  return fail(
    reason(
      'timestamp-unparseable',
      `${field} must be epoch milliseconds or an ISO-8601 date with a zone, got ${preview(value)}`,
      field,
    ),
  );
}

function inRange(
  ms: number,
  range: TimestampRange,
  field: string,
  coerced: boolean,
): TimestampOutcome {
  if (ms >= range.min && ms < range.max) return { ok: true, value: ms, coerced };
  return fail(
    reason('timestamp-out-of-range', `${field} ${ms} is outside ${rangeText(range)}`, field),
  );
}

const fail = (r: OutcomeReason): TimestampOutcome => ({ ok: false, reasons: [r] });

/** Epoch ms of a strict ISO-8601 string, or undefined if it is not one or names no real instant. */
export function parseIso(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (m[4] !== undefined && m[8] === undefined && m[9] === undefined) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear, unlike Date.UTC, keeps years 0-99
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
