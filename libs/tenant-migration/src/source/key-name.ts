import { escapeCodeUnit } from '../common/escape-code-unit.js';

/** A key name that is not UTF-8, printable: ASCII as it is, every other byte as `\xNN`. */
export const escapeKeyName = (name: Buffer): string => {
  let out = '';
  for (const byte of name)
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : escapeCodeUnit(byte);
  return out;
};

/** Escapes glob characters so a prefix such as `tenant[eu]:` matches itself only. */
export const scanPatternFor = (prefix: string): string =>
  `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
