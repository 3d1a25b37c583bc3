import { Option, SubCommand } from 'nest-commander';
import {
  checkOperationParams,
  checkOperationRequest,
  InvalidOptionError,
  OPERATION_KINDS,
  OperationsService,
  type OperationKind,
} from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseChoice, parseWholeNumber } from '../cli-arguments.js';
import { ExitCode } from '../exit-codes.js';
import { cliActor } from '../cli-actor.js';
import { followedExitCode, OperationFollower } from '../operation-follower.service.js';
import { CliCommand } from './cli-command.base.js';
import { printOperation } from './operations.printer.js';

/** The flags of `operations start`, as the parameters they set. */
export interface OperationsStartFlags {
  json?: boolean;
  follow?: boolean;
  batchSize?: number;
  conflictPolicy?: string;
  limit?: number;
  backup?: string;
  confirm?: boolean;
  overwrite?: boolean;
  confirmOverwrite?: boolean;
  live?: boolean;
  prefer?: string;
  dryRun?: boolean;
  sampleSize?: number;
}

/** Each parameter's flag: the admin API's member names in the CLI's terms. */
const PARAM_FLAGS: Readonly<Record<string, string>> = {
  batchSize: '--batch-size',
  conflictPolicy: '--conflict-policy',
  limit: '--limit',
  backup: '--backup',
  confirm: '--confirm',
  overwrite: '--overwrite',
  confirmOverwrite: '--confirm-overwrite',
  live: '--live',
  prefer: '--prefer',
  dryRun: '--dry-run',
  sampleSize: '--sample-size',
};

const flagOf = (name: string): string => PARAM_FLAGS[name] ?? name;
const flagsOf = (names: unknown): string =>
  Array.isArray(names) ? names.map((name) => flagOf(String(name))).join(', ') : '';
/** Parameter names at the start of a rule's message (`batchSize must be ...`). */
const PARAM_NAMES = new RegExp(`\\b(${Object.keys(PARAM_FLAGS).join('|')})\\b(?= )`, 'g');

/**
 * Runs `check`, restating a refusal of the request's parameters in the CLI's terms: the
 * flags, not the admin API's members (`--batch-size cannot be used with operations start
 * check (it takes --limit)`, `--batch-size must be an integer from 1 to 50000`).
 */
const inFlagTerms = <T>(kind: OperationKind, check: () => T): T => {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    const { misplaced, takes, missing } = error.context;
    const line =
      misplaced !== undefined
        ? `${flagsOf(misplaced)} cannot be used with operations start ${kind} (it takes ${flagsOf(takes) || 'no flags'})`
        : missing === 'backup'
          ? `operations start ${kind} needs --backup <id> (see \`backup list\`)`
          : missing === 'confirmOverwrite'
            ? '--overwrite replaces live keys: it needs its own confirmation, --confirm-overwrite'
            : error.message.replace(PARAM_NAMES, flagOf);
    throw new InvalidOptionError(line, error.context, { cause: error });
  }
};

/** `operations start <kind> [parameter flags] [--follow] [--json]` */
@SubCommand({
  name: 'start',
  arguments: '<kind>',
  argsDescription: { kind: `what to run: ${OPERATION_KINDS.join(', ')}` },
  description:
    'start an operation, as POST /api/admin/operations does: recorded and queued for a worker (the admin app, or ' +
    '`npm run worker` on any machine); the CLI runs none. Prints it queued, or with --follow follows it as `operations follow` does',
})
export class OperationsStartCommand extends CliCommand {
  constructor(
    private readonly operations: OperationsService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
    private readonly follower: OperationFollower,
  ) {
    super(out);
  }

  async run([kindArgument, ...rest]: string[], flags: OperationsStartFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'operations start');
      const { json, follow, ...given } = flags;
      const kind = parseChoice(kindArgument ?? '', 'the kind', OPERATION_KINDS);
      // Refused before either store is touched, by the admin API's rules, in flag terms.
      const request = inFlagTerms(kind, () => {
        checkOperationParams(kind, given);
        return checkOperationRequest({ kind, ...given });
      });
      await this.preflight.assertStores({ redis: false });
      const started = await this.operations.start({ ...request, actor: cliActor() });
      if (!follow) {
        if (json) this.out.json(started);
        else
          this.out.line(
            `Operation ${started.id} (${kind}) is queued: a worker (the admin app or \`npm run worker\`) runs it; ` +
              `\`operations follow ${started.id}\` follows it.`,
          );
        return ExitCode.Clean;
      }
      const settled = await this.follower.follow(started.id);
      if (json) this.out.json(settled);
      else printOperation(this.out, settled);
      return followedExitCode(settled);
    });
  }

  @Option({
    flags: '--follow',
    description: 'follow it until it settles (see `operations follow`)',
  })
  parseFollow(): boolean {
    return true;
  }

  @Option({ flags: '--batch-size <n>', description: 'migrate, dry-run: keys per batch (1-50000)' })
  parseBatchSize(value: string): number {
    return parseWholeNumber(value, '--batch-size');
  }

  @Option({
    flags: '--conflict-policy <policy>',
    description: 'migrate, dry-run: keep-postgres (default), overwrite or skip',
  })
  parseConflictPolicy(value: string): string {
    return value;
  }

  @Option({
    flags: '--limit <n>',
    description: 'check, report: how many differences to list (0-100000, default 1000)',
  })
  parseLimit(value: string): number {
    return parseWholeNumber(value, '--limit');
  }

  @Option({
    flags: '--backup <id>',
    description:
      'backup-verify, restore, restore-postgres: the recorded backup (see `backup list`)',
  })
  parseBackup(value: string): string {
    return value;
  }

  @Option({
    flags: '--confirm',
    description: 'restore, restore-postgres, cleanup: do it for real (otherwise a dry run)',
  })
  parseConfirm(): boolean {
    return true;
  }

  @Option({ flags: '--overwrite', description: 'restore: replace keys that hold another value' })
  parseOverwrite(): boolean {
    return true;
  }

  @Option({
    flags: '--confirm-overwrite',
    description: 'restore: the confirmation --overwrite needs',
  })
  parseConfirmOverwrite(): boolean {
    return true;
  }

  @Option({ flags: '--live', description: 'backup-verify: compare with live Redis too' })
  parseLive(): boolean {
    return true;
  }

  @Option({
    flags: '--prefer <side>',
    description: 'sync-drifted: the side that wins (redis or postgres)',
  })
  parsePrefer(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'sync-drifted, sync-pending: decide and report only' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--sample-size <n>', description: 'self-test: keys sampled (1-10000)' })
  parseSampleSize(value: string): number {
    return parseWholeNumber(value, '--sample-size');
  }
}
