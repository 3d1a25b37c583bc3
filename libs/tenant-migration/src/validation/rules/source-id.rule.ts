import { invalidType, preview, reason } from '../reasons.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';

export const SOURCE_ID_MAX_LENGTH = 255;

const CONTROL_OR_LONE_SURROGATE = /\p{Cc}|\p{Cs}/u;

/**
 * The `id` an enhanced source record carried (kept as `sourceId`; the tenant's own id is
 * derived from its subdomain). A string of 1-255 characters without control characters, or
 * a safe integer, which is turned into its decimal string (noted). Empty means absent.
 */
export function checkSourceId(value: unknown, field = 'id'): RuleOutcome<string | null> {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      return reject(
        reason(
          'invalid-source-id',
          `${field} must be a string or a safe integer, got ${preview(value)}`,
          field,
        ),
      );
    }
    return accept(String(value), [
      reason('coerced-source-id', `${field} ${value} was stored as the string "${value}"`, field),
    ]);
  }
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (value.length === 0) return emptyAsAbsent(field);
  if (value.length > SOURCE_ID_MAX_LENGTH || CONTROL_OR_LONE_SURROGATE.test(value)) {
    return reject(
      reason(
        'invalid-source-id',
        `${field} must be 1-${SOURCE_ID_MAX_LENGTH} characters without control characters, got ${preview(value)}`,
        field,
      ),
    );
  }
  return accept(value);
}
