/**
 * Which environment variables each command reads, written once: every command's `--help` ends
 * with its "Environment:" section from this table, and its verbose log states the settings it
 * runs with from the same list. Help never shows a variable's value (a URL or token may hold a
 * password); the verbose log shows only the values of variables that cannot hold one.
 */
import { EnvironmentVariables } from '../../shared/environment.js';
import { resolveRedisEndpoint } from '../../shared/redis-endpoint.js';

export type Variable = keyof EnvironmentVariables;

interface VariableHelp {
  /** What it sets, in a few words. */
  phrase: string;
  /** What applies while it is unset, when EnvironmentVariables has no default for it. */
  unset?: string;
  /** A URL or token, which may carry a password: its value is never logged. */
  secret?: true;
  /**
   * How the log or the progress is written, not what the command does: the settings line of the
   * verbose log leaves it out (a JSON line says it is JSON).
   */
  shapesTheLog?: true;
}

/**
 * Every validated variable, in the order help lists them; null for those no command reads (the
 * admin app's). A Record, so a variable added to EnvironmentVariables fails the build until it
 * is described here.
 */
const VARIABLES: Record<Variable, VariableHelp | null> = {
  DATABASE_URL: { phrase: 'PostgreSQL connection URL', secret: true },
  TENANT_TABLES: {
    phrase: "table=name pairs: the library's tables under other names",
    unset: 'tenants, migration_runs, ...',
  },
  REDIS_URL: {
    phrase: 'Redis connection URL',
    unset: `the Upstash pair's, else ${resolveRedisEndpoint({}).url}`,
    secret: true,
  },
  UPSTASH_REDIS_REST_URL: {
    phrase: 'Upstash REST URL: with the token, the Redis used when REDIS_URL is unset',
    secret: true,
  },
  UPSTASH_REDIS_REST_TOKEN: {
    phrase: 'Upstash REST token, with UPSTASH_REDIS_REST_URL',
    secret: true,
  },
  RESTORE_TARGET_URL: {
    phrase: 'the Redis to restore into unless --target-url',
    unset: 'the configured Redis',
    secret: true,
  },
  TENANT_KEY_PREFIX: { phrase: 'prefix of the tenant keys in Redis' },
  MIGRATION_BATCH_SIZE: { phrase: 'keys per batch and transaction, 1-50000' },
  MAX_VALUE_BYTES: { phrase: 'values over this many bytes are rejected unread' },
  CONFLICT_POLICY: {
    phrase:
      'keep-postgres, overwrite or skip: for a tenant changed in PostgreSQL since its migration',
  },
  RESERVED_SUBDOMAINS: {
    phrase: 'comma-separated subdomains to reject',
    unset: 'the built-in list',
  },
  DEFAULT_PHONE_REGION: {
    phrase: 'region of phone numbers without a country code, e.g. US',
    unset: 'none',
  },
  BACKUP_DIR: { phrase: 'folder of new backup files' },
  TENANT_MIGRATE_KILL_AT: {
    phrase: 'testing aid: SIGKILL the process at <stage>:<batch> of a migration',
  },
  REDIS_COMMAND_TIMEOUT_MS: {
    phrase: 'a Redis command without a reply for this long fails (exit 3)',
  },
  POSTGRES_LOCK_TIMEOUT_MS: {
    phrase:
      "a statement waiting this long for another session's lock fails (exit 3); 0 waits for ever",
  },
  POSTGRES_REPLY_TIMEOUT_MS: {
    phrase:
      'a PostgreSQL connection without any reply for this long is ended (exit 3); 0 waits for ever',
  },
  NODE_ENV: { phrase: 'development turns on the verbose log on stderr, as --verbose does' },
  LOG_FORMAT: {
    phrase: 'text or json: json writes each log line on stderr as one JSON object',
    shapesTheLog: true,
  },
  PROGRESS_INTERVAL_MS: {
    phrase: 'ms between progress lines when stderr is not a terminal; 0: every report',
    shapesTheLog: true,
  },
  ADMIN_TOKEN: null,
  ADMIN_RATE_LIMIT: null,
  ADMIN_RATE_WINDOW_MS: null,
  ADMIN_SYNC_TIMEOUT_MS: null,
  METRICS_TOKEN: null,
  PORT: null,
  HOST: null,
  HEALTH_MIN_FREE_BYTES: null,
  OPERATIONS_MODE: null,
  OPERATION_HEARTBEAT_MS: null,
  OPERATION_STALE_MS: null,
  OPERATION_CONCURRENCY: null,
  SCHEDULE_CHECK_CRON: null,
  SCHEDULE_SYNC_PENDING_CRON: null,
  SCHEDULE_TZ: null,
};

/** A variable a command reads, with when it does if only sometimes (`with --live`). */
export interface VariableUse {
  variable: Variable;
  when?: string;
}

const uses = (variables: readonly Variable[], when?: string): VariableUse[] =>
  variables.map((variable) => ({ variable, when }));

const POSTGRES = uses([
  'DATABASE_URL',
  'TENANT_TABLES',
  'POSTGRES_LOCK_TIMEOUT_MS',
  'POSTGRES_REPLY_TIMEOUT_MS',
]);
const REDIS_VARIABLES: readonly Variable[] = [
  'REDIS_URL',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'REDIS_COMMAND_TIMEOUT_MS',
];
const REDIS = uses(REDIS_VARIABLES);
const PREFIX = uses(['TENANT_KEY_PREFIX']);
const BATCH_SIZE = uses(['MIGRATION_BATCH_SIZE']);
/** How a tenant value is judged: the validation rules' settings. */
const RULES = uses(['MAX_VALUE_BYTES', 'RESERVED_SUBDOMAINS', 'DEFAULT_PHONE_REGION']);
const EVERY_COMMAND = uses(['NODE_ENV', 'LOG_FORMAT']);
/** The commands that show their progress on stderr while they run. */
const PROGRESS = uses(['PROGRESS_INTERVAL_MS']);

/** A resumed run keeps the batch size and conflict policy it started with. */
const RESUMED_MIGRATION = [
  ...POSTGRES,
  ...REDIS,
  ...PREFIX,
  ...RULES,
  ...uses(['TENANT_MIGRATE_KILL_AT']),
  ...PROGRESS,
  ...EVERY_COMMAND,
];
const MIGRATION = [
  ...RESUMED_MIGRATION,
  { variable: 'MIGRATION_BATCH_SIZE', when: 'unless --batch-size' },
  { variable: 'CONFLICT_POLICY', when: 'unless --conflict-policy' },
] satisfies VariableUse[];
/** What the integrity check reads; `report` runs it too. */
const CHECK = [...POSTGRES, ...REDIS, ...PREFIX, ...BATCH_SIZE, ...RULES, ...EVERY_COMMAND];

/**
 * The variables each command reads, from its code paths: the stores it connects to (a
 * backup is recorded in PostgreSQL, so every backup command needs it), and the settings of the
 * services it calls. The root command migrates, or does what its flags ask.
 */
const COMMAND_VARIABLES = {
  'tenant-migrate': [...MIGRATION, { variable: 'BACKUP_DIR', when: 'with --backup' }],
  migrate: MIGRATION,
  'dry-run': MIGRATION,
  resume: RESUMED_MIGRATION,
  validate: [...REDIS, ...PREFIX, ...BATCH_SIZE, ...RULES, ...PROGRESS, ...EVERY_COMMAND],
  check: [...CHECK, ...PROGRESS],
  sync: [
    ...POSTGRES,
    ...REDIS,
    ...PREFIX,
    ...uses(['MIGRATION_BATCH_SIZE'], 'with --all-drifted'),
    ...RULES,
    ...EVERY_COMMAND,
  ],
  cleanup: [...POSTGRES, ...REDIS, ...PREFIX, ...RULES, ...PROGRESS, ...EVERY_COMMAND],
  stats: [...POSTGRES, ...REDIS, ...PREFIX, ...EVERY_COMMAND],
  report: CHECK,
  runs: [...POSTGRES, ...EVERY_COMMAND],
  operations: EVERY_COMMAND,
  // Queues a job (pg-boss is in the same PostgreSQL database); --follow shows its progress.
  'operations start': [
    ...POSTGRES,
    ...uses(['PROGRESS_INTERVAL_MS'], 'with --follow'),
    ...EVERY_COMMAND,
  ],
  'operations list': [...POSTGRES, ...EVERY_COMMAND],
  'operations show': [...POSTGRES, ...EVERY_COMMAND],
  'operations follow': [...POSTGRES, ...PROGRESS, ...EVERY_COMMAND],
  'operations cancel': [...POSTGRES, ...EVERY_COMMAND],
  'operations pause': [...POSTGRES, ...EVERY_COMMAND],
  // Queues a job: the job queue (pg-boss) is in the same PostgreSQL database.
  'operations resume': [...POSTGRES, ...EVERY_COMMAND],
  exceptions: EVERY_COMMAND,
  'exceptions export': [...POSTGRES, ...EVERY_COMMAND],
  backup: [
    ...POSTGRES,
    ...uses([...REDIS_VARIABLES, 'TENANT_KEY_PREFIX'], 'unless --postgres'),
    ...uses(['BACKUP_DIR'], 'unless --out'),
    ...uses(['PROGRESS_INTERVAL_MS'], 'unless --postgres'),
    ...EVERY_COMMAND,
  ],
  'backup verify': [
    ...POSTGRES,
    ...uses(REDIS_VARIABLES, 'with --live'),
    ...PROGRESS,
    ...EVERY_COMMAND,
  ],
  'backup list': [...POSTGRES, ...EVERY_COMMAND],
  restore: [
    ...POSTGRES,
    ...uses(REDIS_VARIABLES, 'when no restore target is given'),
    ...uses(['RESTORE_TARGET_URL']),
    ...PROGRESS,
    ...EVERY_COMMAND,
  ],
  'restore-postgres': [...POSTGRES, ...EVERY_COMMAND],
  test: [
    ...POSTGRES,
    ...REDIS,
    ...PREFIX,
    ...uses(['CONFLICT_POLICY']),
    ...RULES,
    ...EVERY_COMMAND,
  ],
} satisfies Record<string, VariableUse[]>;

/** A command as help and logs name it: `migrate`, `backup verify`; the root is `tenant-migrate`. */
export type CommandPath = keyof typeof COMMAND_VARIABLES;

export const COMMAND_PATHS = Object.keys(COMMAND_VARIABLES) as CommandPath[];

export const isCommandPath = (path: string): path is CommandPath =>
  Object.hasOwn(COMMAND_VARIABLES, path);

const ORDER = Object.keys(VARIABLES) as Variable[];

/** The variables `path` reads, in the table's order. */
export const variablesOf = (path: CommandPath): VariableUse[] =>
  [...COMMAND_VARIABLES[path]].sort(
    (a, b) => ORDER.indexOf(a.variable) - ORDER.indexOf(b.variable),
  );

/** The defaults EnvironmentVariables applies to an unset variable. */
const DEFAULTS: Partial<EnvironmentVariables> = { ...new EnvironmentVariables() };

/** The name column fits the variables help lists: those a command reads (not the admin app's). */
const NAME_WIDTH = Math.max(...ORDER.filter((v) => VARIABLES[v] !== null).map((v) => v.length));
const HELP_WIDTH = 80;

/** `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole). */
export const wrapWords = (text: string, width: number): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
};

const describe = ({ variable, when }: VariableUse): string => {
  const help = VARIABLES[variable];
  if (!help) throw new Error(`${variable} is listed for a command but described as read by none`);
  const fallback =
    DEFAULTS[variable] === undefined
      ? help.unset && `unset: ${help.unset}`
      : `default ${String(DEFAULTS[variable])}`;
  const notes = [fallback, when].filter(Boolean);
  return notes.length > 0 ? `${help.phrase} (${notes.join('; ')})` : help.phrase;
};

/** The "Environment:" section of `path`'s help: one variable a line, a name column and its phrase. */
export const environmentHelp = (path: CommandPath): string => {
  const indent = ' '.repeat(2 + NAME_WIDTH + 2);
  const items = variablesOf(path).map((use) => {
    const [first, ...rest] = wrapWords(describe(use), HELP_WIDTH - indent.length);
    return [
      `  ${use.variable.padEnd(NAME_WIDTH)}  ${first}`,
      ...rest.map((line) => indent + line),
    ].join('\n');
  });
  return ['', 'Environment (read by this command; values are never shown here):', ...items].join(
    '\n',
  );
};

/** A variable's value as set: every variable is a string or a number. */
type VariableValue = EnvironmentVariables[Variable] | undefined;

const show = (value: VariableValue): string =>
  value === undefined ? 'unset' : typeof value === 'string' ? JSON.stringify(value) : String(value);

/**
 * The settings `path` runs with, for the verbose log: each variable it reads that cannot hold a
 * secret and does not shape the log itself, with its value. The stores' URLs are logged apart, when connecting, with their
 * passwords hidden.
 */
export const describeSettings = (
  path: CommandPath,
  valueOf: (variable: Variable) => VariableValue,
): string =>
  variablesOf(path)
    .filter(({ variable }) => !VARIABLES[variable]?.secret && !VARIABLES[variable]?.shapesTheLog)
    .map(({ variable }) => `${variable}=${show(valueOf(variable))}`)
    .join(', ');
