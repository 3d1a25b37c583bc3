import { InvalidOptionError } from '../../errors/invalid-option.error.js';
import {
  type CountryCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  PhoneNumber,
} from 'libphonenumber-js';
import { invalidType, preview, reason } from '../reasons.js';
import { accept, emptyAsAbsent, reject, type RuleOutcome } from './rule-outcome.js';

/** `+`, a country code that cannot start with 0, at most 15 digits in all (ITU-T E.164). */
const E164 = /^\+[1-9]\d{1,14}$/;
/** Longer input is not a phone number; refused before the parser sees it. */
const MAX_INPUT_LENGTH = 64;

/**
 * True when an E.164 string has a length possible for its country calling code, by
 * libphonenumber-js metadata. It is the "possible" test, not the "valid" one: fictional
 * ranges such as +1 555 01xx are accepted, as data from test and demo tenants uses them.
 * The calling code's main numbering plan is used, without the per-country detection that
 * `parsePhoneNumber` does for shared codes (+1, +44, +7...): that detection costs ~35 µs a
 * number and changes the verdict only for rare malformed numbers (3 of 1,470 perturbed
 * example numbers of all regions, none of the unperturbed ones; see the spec).
 */
export function isPossibleE164(e164: string): boolean {
  if (!E164.test(e164)) return false;
  try {
    return new PhoneNumber(e164).isPossible();
  } catch {
    return false; // unknown country calling code
  }
}

/**
 * The `phone` field, normalized to E.164. Accepted: an E.164 number (`+15551234567`), or any
 * international notation libphonenumber-js reads (`+44 20 7946 0958`), or a national number
 * (`020 7946 0958`) when `defaultRegion` is configured. The result must be a possible number
 * (see `isPossibleE164`). Numbers with an extension are refused: E.164 cannot hold one.
 * Empty means absent. A bad number is a rejection, not a warning.
 */
export function checkPhone(
  value: unknown,
  defaultRegion: CountryCode | undefined,
  field = 'phone',
): RuleOutcome<string | null> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  if (isPossibleE164(value)) return accept(value);
  const trimmed = value.trim();
  if (trimmed.length === 0) return emptyAsAbsent(field);
  if (trimmed.length <= MAX_INPUT_LENGTH) {
    const parsed = parsePhoneNumberFromString(trimmed, defaultRegion);
    if (parsed !== undefined && parsed.ext === undefined && isPossibleE164(parsed.number)) {
      return accept(parsed.number, [
        reason('normalized-phone', `${field} was normalized to E.164 (${parsed.number})`, field),
      ]);
    }
  }
  const hint =
    defaultRegion === undefined && !trimmed.startsWith('+')
      ? '; a number without "+" needs a configured default region'
      : '';
  return reject(
    reason(
      'invalid-phone',
      `${field} is not a possible phone number: ${preview(value)}${hint}`,
      field,
    ),
  );
}

/** Throws at start-up, not per record, when the configured region is not one libphonenumber knows. */
export function assertPhoneRegion(
  region: string | undefined,
): asserts region is CountryCode | undefined {
  if (region !== undefined && !isSupportedCountry(region)) {
    throw new InvalidOptionError(
      `default phone region "${region}" is not a supported ISO 3166-1 alpha-2 region`,
      { region },
    );
  }
}
