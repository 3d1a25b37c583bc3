import { Injectable } from '@nestjs/common';
import { Command, Option, SubCommand } from 'nest-commander';
import {
  InvalidOptionError,
  OPERATION_KINDS,
  OPERATION_STATUSES,
  OperationsService,
  type Operation,
  type OperationKind,
  type OperationStatus,
} from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import {
  assertNoArguments,
  assertOperationId,
  parseChoice,
  parseLimit,
  parseOffset,
} from '../cli-arguments.js';
import { ExitCode } from '../exit-codes.js';
import { commandPath } from '../command-line.js';
import { followedExitCode, OperationFollower } from '../operation-follower.service.js';
import { CliCommand } from './cli-command.base.js';
import { controlLine, printOperation, printOperationPage } from './operations.printer.js';
import { OperationsStartCommand } from './operations-start.command.js';

export interface OperationsListFlags {
  json?: boolean;
  kind?: OperationKind;
  status?: OperationStatus;
  limit?: number;
  offset?: number;
}

/** How many operations `operations list` shows unless told otherwise. */
const DEFAULT_LIMIT = 20;

/** `operations list [--kind k] [--status s] [--limit n] [--offset n] [--json]` */
@SubCommand({
  name: 'list',
  description:
    'list the operations (every long task the admin API or a worker runs), newest first: id, kind, status, ' +
    'progress, actor and when it was created',
})
export class OperationsListCommand extends CliCommand {
  constructor(
    private readonly operations: OperationsService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: OperationsListFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'operations list');
      await this.preflight.assertStores({ redis: false });
      const page = await this.operations.list(
        { kind: flags.kind, status: flags.status },
        flags.offset ?? 0,
        flags.limit ?? DEFAULT_LIMIT,
      );
      if (flags.json) this.out.json(page);
      else printOperationPage(this.out, page);
      return ExitCode.Clean;
    });
  }

  @Option({ flags: '--kind <kind>', description: `only this kind: ${OPERATION_KINDS.join(', ')}` })
  parseKind(value: string): OperationKind {
    return parseChoice(value, '--kind', OPERATION_KINDS);
  }

  @Option({
    flags: '--status <status>',
    description: `only this status: ${OPERATION_STATUSES.join(', ')}`,
  })
  parseStatus(value: string): OperationStatus {
    return parseChoice(value, '--status', OPERATION_STATUSES);
  }

  @Option({
    flags: '--limit <n>',
    description: `how many operations (1-1000, default ${DEFAULT_LIMIT})`,
  })
  parseLimit(value: string): number {
    return parseLimit(value);
  }

  @Option({ flags: '--offset <n>', description: 'skip this many of the newest (default 0)' })
  parseOffset(value: string): number {
    return parseOffset(value);
  }
}

/**
 * What `show`, `cancel`, `pause` and `resume` share: one operation id, PostgreSQL only, the
 * service's answer as the `--json` document. An unknown id exits 2 (as an unknown run does), a
 * control request its status or kind refuses exits 2, one refused because another operation
 * holds the tenants tables exits 3 (as a held migration lock does).
 */
@Injectable()
abstract class OperationByIdCommand extends CliCommand {
  constructor(
    protected readonly operations: OperationsService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  protected abstract act(id: string): Promise<Operation>;
  protected abstract print(operation: Operation): void;

  /** The exit code once the operation is printed. */
  protected exitCode(_operation: Operation): number {
    return ExitCode.Clean;
  }

  async run([ref, ...rest]: string[], flags: { json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, commandPath(this.command));
      const id = assertOperationId(ref);
      await this.preflight.assertStores({ redis: false });
      const operation = await this.act(id);
      if (flags.json) this.out.json(operation);
      else this.print(operation);
      return this.exitCode(operation);
    });
  }
}

const ID_ARGUMENT = { id: 'the operation id (see `operations list`)' };

/** `operations show <id> [--json]` */
@SubCommand({
  name: 'show',
  arguments: '<id>',
  argsDescription: ID_ARGUMENT,
  description: "an operation's status, progress, run, error and result",
})
export class OperationsShowCommand extends OperationByIdCommand {
  protected act(id: string): Promise<Operation> {
    return this.operations.get(id);
  }

  protected print(operation: Operation): void {
    printOperation(this.out, operation);
  }
}

/** `operations follow <id> [--json]` */
@SubCommand({
  name: 'follow',
  arguments: '<id>',
  argsDescription: ID_ARGUMENT,
  description:
    'follow an operation until it settles: its progress on stderr, then the operation as `show` prints it. Exit 0 when it ' +
    'succeeded, 1 when it was paused, cancelled or interrupted, 3 when it failed. Ctrl-C stops following, not the operation',
})
export class OperationsFollowCommand extends OperationByIdCommand {
  constructor(
    operations: OperationsService,
    out: CliOutput,
    preflight: StorePreflight,
    private readonly follower: OperationFollower,
  ) {
    super(operations, out, preflight);
  }

  protected act(id: string): Promise<Operation> {
    return this.follower.follow(id);
  }

  protected print(operation: Operation): void {
    printOperation(this.out, operation);
  }

  protected override exitCode(operation: Operation): number {
    return followedExitCode(operation);
  }
}

/** `operations cancel <id> [--json]` */
@SubCommand({
  name: 'cancel',
  arguments: '<id>',
  argsDescription: ID_ARGUMENT,
  description:
    'cancel an operation: a queued, paused or interrupted one at once, a running one at its next batch boundary ' +
    '(what it committed stays)',
})
export class OperationsCancelCommand extends OperationByIdCommand {
  protected act(id: string): Promise<Operation> {
    return this.operations.cancel(id);
  }

  protected print(operation: Operation): void {
    this.out.line(controlLine(operation));
  }
}

/** `operations pause <id> [--json]` */
@SubCommand({
  name: 'pause',
  arguments: '<id>',
  argsDescription: ID_ARGUMENT,
  description:
    'pause a running operation at its next batch boundary, keeping its checkpoint: `operations resume` continues a migration, ' +
    'check, Redis backup or cleanup exactly, and runs a validation or dry run again from the start',
})
export class OperationsPauseCommand extends OperationByIdCommand {
  protected act(id: string): Promise<Operation> {
    return this.operations.pause(id);
  }

  protected print(operation: Operation): void {
    this.out.line(controlLine(operation));
  }
}

/** `operations resume <id> [--json]` */
@SubCommand({
  name: 'resume',
  arguments: '<id>',
  argsDescription: ID_ARGUMENT,
  description:
    'queue a paused or interrupted operation again (a failed migration too); a worker runs it, the CLI never does. ' +
    'A migration continues its run from its checkpoint',
})
export class OperationsResumeCommand extends OperationByIdCommand {
  protected act(id: string): Promise<Operation> {
    return this.operations.resume(id);
  }

  protected print(operation: Operation): void {
    this.out.line(controlLine(operation));
  }
}

/** `operations`: the durable long tasks; `list`, `show`, `cancel`, `pause`, `resume` below it. */
@Command({
  name: 'operations',
  description:
    'the operations the admin API and the workers run (see `operations start`, `list`, `show`, `follow`, `cancel`, `pause`, `resume`)',
  subCommands: [
    OperationsStartCommand,
    OperationsListCommand,
    OperationsShowCommand,
    OperationsFollowCommand,
    OperationsCancelCommand,
    OperationsPauseCommand,
    OperationsResumeCommand,
  ],
})
export class OperationsCommand extends CliCommand {
  async run(args: string[]): Promise<void> {
    await this.attempt(() => {
      assertNoArguments(args, 'operations');
      throw new InvalidOptionError(
        'operations needs a subcommand: start <kind>, list, show <id>, follow <id>, cancel <id>, pause <id> or resume <id>; see --help',
      );
    });
  }
}
