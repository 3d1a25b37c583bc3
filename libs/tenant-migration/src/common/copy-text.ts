/**
 * Formats values for PostgreSQL's COPY text format: tab-separated, `\N` for null, and
 * backslash, tab, newline and carriage return escaped.
 */
const SPECIAL = /[\\\t\n\r]/;

export const copyValue = (value: string | number | boolean | null | undefined): string => {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : String(value);
  if (!SPECIAL.test(text)) return text;
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
};
