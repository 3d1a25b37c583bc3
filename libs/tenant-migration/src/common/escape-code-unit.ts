/**
 * The one spelling of a byte, a UTF-16 code unit or a code point that must be shown rather than
 * stored or printed raw: escaped key names, NUL and lone surrogates in storable text, and the
 * controls and invisible characters a terminal would act on all read the same way.
 */

const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0');

/** `\uNNNN`: a UTF-16 code unit as JSON and JavaScript write it (four lowercase hex digits). */
export const unicodeEscape = (unit: number): string => `\\u${hex(unit, 4)}`;

/** `\xNN` for a byte (or a code unit up to 0xff), `\uNNNN` for any other code unit. */
export const escapeCodeUnit = (unit: number): string =>
  unit <= 0xff ? `\\x${hex(unit, 2)}` : unicodeEscape(unit);

/** As `escapeCodeUnit`, and `\u{NNNNN}` for a code point beyond the 16-bit range. */
export const escapeCodePoint = (code: number): string =>
  code <= 0xffff ? escapeCodeUnit(code) : `\\u{${hex(code, 5)}}`;
