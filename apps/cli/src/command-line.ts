/**
 * What a parsed command line says about itself, for help and the verbose log: which command
 * runs and with which flags. Commander's parsed state is read, never re-parsed.
 */
import { redactUrl } from '#tenant-migration';

/** The parts of a commander Command read here (structural, so that specs can pass plain objects). */
export interface ParsedCommand {
  name(): string;
  parent: ParsedCommand | null;
  readonly options: readonly {
    long?: string;
    negate: boolean;
    required: boolean;
    optional: boolean;
    attributeName(): string;
  }[];
  opts(): Record<string, unknown>;
}

/** `migrate`, `backup verify`: the names below the root; the root itself goes by its own name. */
export const commandPath = (command: Pick<ParsedCommand, 'name' | 'parent'>): string => {
  const names: string[] = [];
  for (let c: Pick<ParsedCommand, 'name' | 'parent'> | null = command; c?.parent; c = c.parent)
    names.unshift(c.name());
  return names.length > 0 ? names.join(' ') : command.name();
};

/**
 * A flag's value as it may be logged: a URL (`--target-url`) can carry a password, so any value
 * that looks like one has it hidden.
 */
const loggable = (value: unknown): string => {
  if (typeof value !== 'string') return String(value);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrl(value) : JSON.stringify(value);
};

/** The flags given, as they would be typed: `--json --batch-size 5 --out "a.gz" --no-resume`; '' for none. */
export const describeFlags = (command: Pick<ParsedCommand, 'options' | 'opts'>): string => {
  const values = command.opts();
  const flags: string[] = [];
  for (const option of command.options) {
    const value = values[option.attributeName()];
    if (value === undefined || !option.long) continue;
    // `--no-resume` and `--resume` share an attribute: only the one that set it is shown.
    if (option.negate !== (value === false)) continue;
    flags.push(
      option.required || option.optional ? `${option.long} ${loggable(value)}` : option.long,
    );
  }
  return flags.join(' ');
};
