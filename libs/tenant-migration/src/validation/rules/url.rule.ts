import { isURL } from 'class-validator';
import { invalidType, preview, reason } from '../reasons.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';

export const URL_MAX_LENGTH = 2048;

const URL_OPTIONS = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_valid_protocol: true,
};
/**
 * Characters that have no business in a stored URL: they would need escaping where it is
 * shown (whitespace, quotes, angle brackets, backslash) or cannot be stored (controls, lone
 * surrogates).
 */
const UNSAFE = /[\s<>"'`\\]|\p{Cc}|\p{Cs}/u;

/**
 * A URL field (the logo): trimmed, at most 2048 characters, an absolute http(s) URL by
 * class-validator's `isURL`, without whitespace, quotes, backslashes or angle brackets
 * (`javascript:` and `data:` URLs are refused by the protocol rule). Empty means absent.
 */
export function checkHttpUrl(value: unknown, field: string): RuleOutcome<string | null> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  const trimmed = value.trim();
  if (trimmed.length === 0) return emptyAsAbsent(field);
  if (trimmed.length > URL_MAX_LENGTH) {
    return reject(
      reason(
        'text-too-long',
        `${field} has ${trimmed.length} characters; at most ${URL_MAX_LENGTH} are allowed`,
        field,
      ),
    );
  }
  if (UNSAFE.test(trimmed) || !isURL(trimmed, URL_OPTIONS)) {
    return reject(
      reason(
        'invalid-url',
        `${field} must be an absolute http(s) URL, got ${preview(value)}`,
        field,
      ),
    );
  }
  if (trimmed === value) return accept(trimmed);
  return accept(trimmed, [
    reason('sanitized-text', `${field}: surrounding whitespace removed`, field),
  ]);
}
