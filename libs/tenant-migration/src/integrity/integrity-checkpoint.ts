/** The checkpoint a suspended integrity check leaves with its operation, read back. */
import type { IntegrityCheckpoint, InvalidRedisRecord, KeyspaceTally } from './integrity.types.js';

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isInvalidRecord = (value: unknown): value is InvalidRedisRecord =>
  isRecord(value) &&
  typeof value.key === 'string' &&
  Array.isArray(value.reasons) &&
  value.reasons.every(
    (reason) =>
      isRecord(reason) &&
      typeof reason.code === 'string' &&
      typeof reason.message === 'string' &&
      (reason.field === undefined || typeof reason.field === 'string'),
  );

const isTally = (value: unknown): value is KeyspaceTally =>
  isRecord(value) &&
  [value.scanned, value.valid, value.invalid, value.skipped].every(isCount) &&
  Array.isArray(value.invalidRecords) &&
  value.invalidRecords.every(isInvalidRecord);

/**
 * The checkpoint an operation kept, when it is one of a suspended check; null otherwise. Its
 * `parts` becomes part of table names, so only 32 hex digits are taken.
 */
export const integrityCheckpointOf = (value: unknown): IntegrityCheckpoint | null => {
  if (!isRecord(value)) return null;
  const { parts, cursor, server, tally } = value;
  if (
    typeof parts !== 'string' ||
    !/^[0-9a-f]{32}$/.test(parts) ||
    typeof cursor !== 'string' ||
    !/^\d+$/.test(cursor) ||
    (server !== null && typeof server !== 'string') ||
    !isTally(tally)
  )
    return null;
  return { parts, cursor, server, tally };
};
