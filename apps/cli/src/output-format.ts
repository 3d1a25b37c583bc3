/** The number formats every command's human output shares. */

/** A count with thousands separators: 12,000. */
export const formatCount = (value: number): string => value.toLocaleString('en-US');

/** A duration in seconds with one decimal: 1.5s. */
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** A reason table, largest first: `invalid_json 3, empty_value 1`. */
export const byReason = (table: Record<string, number>): string =>
  Object.entries(table)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code} ${formatCount(count)}`)
    .join(', ');

/** A byte count for people: 512 B, 1.5 KiB, 2.0 MiB, ... */
export const formatBytes = (bytes: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
};
