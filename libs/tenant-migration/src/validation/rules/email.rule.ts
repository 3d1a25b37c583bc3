import { isEmail } from 'class-validator';
import { invalidType, preview, reason } from '../reasons.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';

/** RFC 5321 path limit. */
export const EMAIL_MAX_LENGTH = 254;

/** `isEmail` lets lone surrogates through; they cannot be stored as UTF-8. */
const UNSTORABLE = /\p{Cs}|\p{Cc}/u;

/**
 * The `email` field. Trimmed, the domain lower-cased (the local part is case-sensitive by
 * the RFC and kept), at most 254 characters, and accepted by class-validator's `isEmail`
 * (which rejects `a@b..c`, display names and IP domains). Empty means absent.
 */
export function checkEmail(value: unknown, field = 'email'): RuleOutcome<string | null> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  const trimmed = value.trim();
  if (trimmed.length === 0) return emptyAsAbsent(field);
  if (trimmed.length > EMAIL_MAX_LENGTH) {
    return reject(
      reason(
        'email-too-long',
        `${field} has ${trimmed.length} characters; at most ${EMAIL_MAX_LENGTH} are allowed`,
        field,
      ),
    );
  }
  const at = trimmed.lastIndexOf('@');
  const normalized =
    at < 0 ? trimmed : trimmed.slice(0, at + 1) + trimmed.slice(at + 1).toLowerCase();
  if (UNSTORABLE.test(normalized) || !isEmail(normalized))
    return reject(
      reason('invalid-email', `${field} is not an email address: ${preview(value)}`, field),
    );
  if (normalized === value) return accept(normalized);
  return accept(normalized, [
    reason('normalized-email', `${field} was trimmed and its domain lower-cased`, field),
  ]);
}
