import { InvalidOptionError } from '#tenant-migration';

/**
 * Commander accepts stray words by default; here they are usage errors, so a mistyped
 * command (`npm run cli -- migrat`) can never fall through to a migration.
 */
export const assertNoArguments = (args: readonly string[], command: string): void => {
  if (args.length === 0) return;
  const what = command === 'tenant-migrate' ? `unknown command "${args[0]}"` : `unexpected argument "${args[0]}" for ${command}`;
  throw new InvalidOptionError(`${what}; see --help`, { arguments: [...args] });
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const assertRunId = (value: string | undefined): string => {
  if (!value || !UUID.test(value)) throw new InvalidOptionError(`"${value ?? ''}" is not a run id (a UUID, see \`runs\`)`);
  return value;
};
