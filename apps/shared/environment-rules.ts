/**
 * The rules of the environment's variables: whole numbers in a range, URLs, table names, the
 * kill point, cron expressions and time zones, each with the message a bad value gets.
 */
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateBy } from 'class-validator';
import {
  cronProblem,
  DEFAULT_TABLE_NAMES,
  InvalidOptionError,
  isTimeZone,
  resolveTableNames,
} from '#tenant-migration';
import type { MigrationStage, TableNames } from '#tenant-migration';

// Negative integers too, so `-1` is reported as out of range rather than as "not an integer".
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/**
 * A whole-number variable from `min` to `max` (its text read as a number first). Applied in the
 * order a stack of `@Transform @IsInt @Min @Max` would be, bottom first, so errors read alike.
 */
export const IntegerVariable = (min: number, max: number): PropertyDecorator =>
  applyDecorators(Max(max), Min(min), IsInt(), Transform(toInt));

const parsesAsUrl = (value: unknown, protocol: string): boolean => {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === protocol && url.hostname !== '';
  } catch {
    return false;
  }
};

/** An absolute https URL with a host: the Upstash REST URL is parsed to derive the Redis host. */
export const IsHttpsUrl = (message: string) =>
  ValidateBy({
    name: 'isHttpsUrl',
    validator: { validate: (value) => parsesAsUrl(value, 'https:'), defaultMessage: () => message },
  });

/**
 * `TENANT_TABLES`: `table=name` pairs, comma-separated, e.g. `tenants=tenancy.tenants,auditLog=tm_audit`.
 * Throws InvalidOptionError for a malformed list or name.
 */
export const tableNamesFrom = (value: string | undefined): Partial<TableNames> => {
  if (!value) return {};
  const names: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const match = /^\s*(\w+)\s*=\s*(\S+)\s*$/.exec(pair);
    if (!match)
      throw new InvalidOptionError(
        `TENANT_TABLES takes table=name pairs, got ${JSON.stringify(pair)}`,
      );
    names[match[1]] = match[2];
  }
  resolveTableNames(names);
  return names;
};

export const IsTableNames = () =>
  ValidateBy({
    name: 'isTableNames',
    validator: {
      validate: (value) => {
        try {
          tableNamesFrom(value as string);
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () =>
        `TENANT_TABLES must be comma-separated table=name pairs (tables: ${Object.keys(DEFAULT_TABLE_NAMES).join(', ')}; ` +
        'names: distinct lower-case identifiers, optionally schema-qualified)',
    },
  });

/**
 * Whether each stage happens once per process (its kill point ignores the batch number) or once
 * per batch. A Record, so a stage the engine gains fails the build until it is listed here.
 */
const STAGE_SCOPES: Record<MigrationStage, 'run' | 'batch'> = {
  'run-recorded': 'run',
  'batch-read': 'batch',
  'batch-staged': 'batch',
  'batch-merged': 'batch',
  'batch-committed': 'batch',
  'scan-finished': 'run',
  'run-finished': 'run',
};
const stagesOf = (scope: 'run' | 'batch'): string =>
  Object.entries(STAGE_SCOPES)
    .filter(([, s]) => s === scope)
    .map(([stage]) => stage)
    .join(', ');

const KILL_POINT_FORMAT =
  `TENANT_MIGRATE_KILL_AT must be <stage>:<batch from 1> for ${stagesOf('batch')}, ` +
  `or <stage>:* (any number) for ${stagesOf('run')}`;

/**
 * A schedule's cron expression: five fields, minute hour day-of-month month day-of-week. The
 * message says what is wrong with it (an expression is no secret).
 */
export const IsCronExpression = (variable: string) =>
  ValidateBy({
    name: 'isCronExpression',
    validator: {
      validate: (value) => typeof value === 'string' && cronProblem(value) === null,
      defaultMessage: (args) => {
        const value: unknown = args?.value;
        const problem = typeof value === 'string' ? cronProblem(value) : null;
        return (
          `${variable} must be a five-field cron expression (minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day)` +
          (problem === null ? '' : `: ${problem}`)
        );
      },
    },
  });

export const IsTimeZone = (variable: string) =>
  ValidateBy({
    name: 'isTimeZone',
    validator: {
      validate: (value) => typeof value === 'string' && isTimeZone(value),
      defaultMessage: () => `${variable} must be an IANA time zone such as UTC or Europe/Paris`,
    },
  });

/** Where `TENANT_MIGRATE_KILL_AT` kills the process; `batch` null matches any batch. */
interface KillPoint {
  stage: MigrationStage;
  batch: number | null;
}

/**
 * `TENANT_MIGRATE_KILL_AT` (a testing aid): `<stage>:<batch>`, e.g. `batch-merged:3`; run-level
 * stages take any number or `*`. Null when unset; throws InvalidOptionError when malformed.
 */
export const killPointFrom = (value: string | undefined): KillPoint | null => {
  if (!value) return null;
  const match = /^([a-z-]+):(\*|\d+)$/.exec(value);
  const stage = match?.[1];
  if (match && stage && Object.hasOwn(STAGE_SCOPES, stage)) {
    const known = stage as MigrationStage;
    if (STAGE_SCOPES[known] === 'run') return { stage: known, batch: null };
    // A batch stage needs a batch: they are numbered from 1, so `:0` would never fire.
    if (/^[1-9]\d*$/.test(match[2])) return { stage: known, batch: Number(match[2]) };
  }
  throw new InvalidOptionError(KILL_POINT_FORMAT);
};

export const IsKillPoint = () =>
  ValidateBy({
    name: 'isKillPoint',
    validator: {
      validate: (value) => {
        try {
          return killPointFrom(value as string) !== null;
        } catch {
          return false;
        }
      },
      defaultMessage: () => KILL_POINT_FORMAT,
    },
  });
