import { isUUID } from 'class-validator';
import { InvalidOptionError } from '#tenant-migration';

/**
 * Commander accepts stray words by default; here they are usage errors, so a mistyped
 * command (`npm run cli -- migrat`) can never fall through to a migration.
 */
export const assertNoArguments = (args: readonly string[], command: string): void => {
  if (args.length === 0) return;
  const what =
    command === 'tenant-migrate'
      ? `unknown command "${args[0]}"`
      : `unexpected argument "${args[0]}" for ${command}`;
  throw new InvalidOptionError(`${what}; see --help`, { arguments: [...args] });
};

export const assertRunId = (value: string | undefined): string => {
  // class-validator's check, as the admin API's ParseUUIDPipe uses: a run id means the same in both.
  if (!value || !isUUID(value))
    throw new InvalidOptionError(`"${value ?? ''}" is not a run id (a UUID, see \`runs\`)`);
  return value;
};

export const assertOperationId = (value: string | undefined): string => {
  // As the admin API's ParseUUIDPipe takes it on /operations/:id.
  if (!value || !isUUID(value))
    throw new InvalidOptionError(
      `"${value ?? ''}" is not an operation id (a UUID, see \`operations list\`)`,
    );
  return value;
};

/** One of `choices`, the value of `flag`. */
export const parseChoice = <T extends string>(
  value: string,
  flag: string,
  choices: readonly T[],
): T => {
  const choice = choices.find((c) => c === value);
  if (choice === undefined)
    throw new InvalidOptionError(`${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  return choice;
};

/** A whole number as typed, the value of `flag` (its range is the caller's rule to check). */
export const parseWholeNumber = (value: string, flag: string): number => {
  if (!/^\d{1,15}$/.test(value))
    throw new InvalidOptionError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
};

/** `--offset <n>`: a whole number from 0 (as the admin API's `offset`). */
export const parseOffset = (value: string): number => {
  const offset = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(offset))
    throw new InvalidOptionError(`--offset must be a whole number from 0, got "${value}"`);
  return offset;
};

/** `--limit <n>`: a whole number from 1 to 1000. */
export const parseLimit = (value: string, max = 1000): number => {
  const limit = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new InvalidOptionError(`--limit must be 1-${max}, got "${value}"`);
  return limit;
};

/** A redis:// or rediss:// URL with a host. The message never repeats the value: it may hold a password. */
export const parseRedisUrl = (value: string, flag: string): string => {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || !/^rediss?:$/.test(url.protocol) || url.hostname === '') {
    throw new InvalidOptionError(`${flag} must be a redis:// or rediss:// URL with a host`);
  }
  return value;
};
