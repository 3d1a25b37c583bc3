import { escapeCodeUnit } from './escape-code-unit.js';

/**
 * The one encoder for text that comes from Redis (or from anyone else) on its way into a
 * PostgreSQL text or jsonb column. PostgreSQL refuses two things a JavaScript string can hold:
 * NUL (no text type can store it; jsonb refuses `\u0000`) and UTF-16 surrogates that are not
 * part of a pair (jsonb refuses the `\ud800` escape JSON.stringify writes for them; a text
 * parameter silently becomes U+FFFD). Both appear in hostile or broken Redis data: a field
 * name `"\u0000x"`, a value `{"\ud800":true}`, V8's JSON error quoting half of an emoji.
 *
 * NUL is written `\x00` (as escaped key names show bytes) and a lone surrogate `\udXXX`, so
 * what an operator reads names the offending code unit; everything else passes unchanged.
 */

/** NUL, or any surrogate: the fast test (a surrogate in a well-formed pair is checked after). */
const SUSPECT = /[\0\ud800-\udfff]/;
/** What JSON.stringify writes for NUL and for a lone surrogate (pairs are written raw). */
const SUSPECT_JSON = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** `text` with NUL and every unpaired surrogate made visible; unchanged when it has neither. */
export const storableText = (text: string): string => {
  if (!SUSPECT.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit !== 0 && (unit < 0xd800 || unit > 0xdfff)) continue;
    if (isHigh(unit) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    out += text.slice(from, i) + escapeCodeUnit(unit);
    from = i + 1;
  }
  return out + text.slice(from);
};

/** True when PostgreSQL can store the text as it is. */
export const isStorableText = (text: string): boolean => storableText(text) === text;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const sanitize = (value: Json): Json => {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sanitize);
  // fromEntries defines own properties: a member named `__proto__` stays a member.
  return Object.fromEntries<Json>(
    Object.entries(value).map(([key, item]) => [storableText(key), sanitize(item)]),
  );
};

/**
 * JSON text of `value` that a jsonb column accepts: every string and every member name passed
 * through `storableText`. The common case (nothing to change) costs one JSON.stringify and a
 * regular-expression test.
 */
export const storableJson = (value: unknown): string => {
  const json = JSON.stringify(value) ?? 'null';
  if (!SUSPECT_JSON.test(json)) return json;
  return JSON.stringify(sanitize(JSON.parse(json) as Json));
};

/** `value` as a storable JSON value (for ORMs that serialise jsonb columns themselves). */
export const storableJsonValue = <T>(value: T): T => JSON.parse(storableJson(value)) as T;
