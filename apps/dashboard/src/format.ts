/** Numbers, sizes, durations and times as people read them. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });
const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });

/** 1234567 → "1,234,567"; null → "–". */
export const count = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : integer.format(value);

export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `${decimal.format(value * 100)} %`;

export const bytes = (value: number | null | undefined): string => {
  if (value === null || value === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? integer.format(size) : decimal.format(size)} ${units[unit]}`;
};

/** 3725 s → "1 h 2 min"; 42.5 s → "43 s"; 0.2 s → "0.2 s". */
export const duration = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${decimal.format(seconds)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
};

export const millis = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '–' : duration(ms / 1000);

/** "3 minutes ago", "in 2 hours", "now". */
export const ago = (iso: string | null | undefined, now = Date.now()): string => {
  if (!iso) return '–';
  const diff = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return relative.format(Math.round(diff), 'second');
  if (abs < 2700) return relative.format(Math.round(diff / 60), 'minute');
  if (abs < 64800) return relative.format(Math.round(diff / 3600), 'hour');
  return relative.format(Math.round(diff / 86400), 'day');
};

/** The full local time, for a title next to a relative one. */
export const when = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : '–';

export const rate = (perSecond: number | null | undefined, unit = 'keys'): string =>
  perSecond === null || perSecond === undefined ? '–' : `${integer.format(perSecond)} ${unit}/s`;

/** Any value as one line of text (strings as they are, the rest as JSON). */
export const text = (value: unknown): string => {
  if (value === null) return 'null';
  if (value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

/** Bytes (base64) as text when they are UTF-8, and as hex when they are not. */
export const preview = (base64: string | null): { text: string | null; hex: string } | null => {
  if (base64 === null) return null;
  const raw = atob(base64);
  const data = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  const hex = Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(' ');
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(data), hex };
  } catch {
    return { text: null, hex };
  }
};
