/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), checked before they
 * reach the job queue: pg-boss reads them with cron-parser only when it schedules one, and its
 * clock evaluates every schedule of a queue schema together, so one expression that never
 * matches (`0 0 31 2 *`) would stop the others' ticks too. What is accepted here is a subset of
 * what cron-parser reads: numbers, `*`, ranges `a-b`, steps `/n`, lists `a,b`, and the English
 * names of months and week days; not its extensions (seconds, `L`, `#`, `?`, `@daily`).
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEK_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 0 and 7 are both Sunday.
  { name: 'day-of-week', min: 0, max: 7, names: WEEK_DAYS },
];

/** The longest month of each (February counts its leap day, as cron-parser does). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number a field's value stands for (a name where the field has names), or null. */
const valueOf = (field: CronField, text: string): number | null => {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  return named < 0 ? null : field.names === MONTHS ? named + 1 : named;
};

/** The value `text` stands for in the field, or why it stands for none. */
const boundOf = (field: CronField, text: string): number | string => {
  const value = valueOf(field, text);
  if (value === null)
    return `the ${field.name} field's "${text}" is not a number${field.names ? ' or a name' : ''}`;
  if (value < field.min || value > field.max)
    return `the ${field.name} field's ${value} is outside ${field.min}-${field.max}`;
  return value;
};

/** The values one field matches, or why it matches none. */
const parseField = (field: CronField, text: string): number[] | string => {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(?:(\*)|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/i.exec(item);
    if (!match) return `the ${field.name} field's "${item}" is not a value, range or step`;
    const [, star, first, last, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return `the ${field.name} field's step must be at least 1`;
    let from = field.min;
    let to = field.max;
    if (!star) {
      const start = boundOf(field, first);
      if (typeof start === 'string') return start;
      // `a/n` runs from a to the field's end, as in cron-parser; a lone `a` is just a.
      const end =
        last !== undefined ? boundOf(field, last) : stepText === undefined ? start : field.max;
      if (typeof end === 'string') return end;
      if (start > end) return `the ${field.name} field's range ${first}-${last} runs backwards`;
      from = start;
      to = end;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values];
};

/**
 * Why `expression` is not a five-field cron expression that fires, in a few words; null when it
 * is one.
 */
export const cronProblem = (expression: string): string | null => {
  const texts = expression.trim().split(/\s+/);
  if (texts.length !== FIELDS.length)
    return `it has ${texts.length} field${texts.length === 1 ? '' : 's'}, not 5`;
  const fields: number[][] = [];
  for (const [index, field] of FIELDS.entries()) {
    const parsed = parseField(field, texts[index]);
    if (typeof parsed === 'string') return parsed;
    fields.push(parsed);
  }
  const [, , days, months] = fields;
  const longest = Math.max(...months.map((month) => DAYS_IN_MONTH[month - 1]));
  if (Math.min(...days) > longest)
    return `its day of the month is never reached in its month${months.length === 1 ? '' : 's'}`;
  return null;
};

/** Whether `zone` is a time zone this runtime knows (an IANA name such as `Europe/Paris`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
