import { Command, Option } from 'nest-commander';
import { InvalidOptionError, SyncService, type SyncRequest } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { CliCommand } from './cli-command.base.js';
import { printSync, printSyncAll } from './sync.printer.js';

export interface SyncFlags {
  prefer?: 'redis' | 'postgres';
  dryRun?: boolean;
  json?: boolean;
  allDrifted?: boolean;
  pending?: boolean;
}

const syncRequest = (flags: SyncFlags): SyncRequest => ({
  prefer: flags.prefer,
  dryRun: flags.dryRun ?? false,
  actor: cliActor(),
});

/** `sync <subdomain> | --all-drifted | --pending [--prefer redis|postgres] [--dry-run] [--json]` */
@Command({
  name: 'sync',
  arguments: '[subdomain]',
  argsDescription: { subdomain: 'the tenant to reconcile' },
  description:
    'reconcile one tenant (or, with --all-drifted, every tenant the check finds drifted; with --pending, every tenant ' +
    'whose Redis write-back failed): Redis to PostgreSQL when ' +
    'Redis holds the newer or only copy (a key deleted or expired in Redis deletes the tenant in PostgreSQL), ' +
    'PostgreSQL to Redis (legacy format) when PostgreSQL does; refuses when both changed unless --prefer',
})
export class SyncCommand extends CliCommand {
  constructor(
    private readonly syncs: SyncService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run([subdomain, ...rest]: string[], flags: SyncFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'sync');
      if ([subdomain !== undefined, flags.allDrifted, flags.pending].filter(Boolean).length !== 1) {
        throw new InvalidOptionError(
          'sync takes a subdomain, --all-drifted or --pending (one of the three)',
        );
      }
      if (subdomain !== undefined) return this.syncOne(subdomain, flags);
      await this.preflight.assertStores();
      const request = syncRequest(flags);
      const result = flags.pending
        ? await this.syncs.syncPending(request)
        : await this.syncs.syncAllDrifted(request);
      if (flags.json) this.out.json(result);
      else
        printSyncAll(
          this.out,
          result,
          flags.pending ? 'tenants with a pending write-back' : 'drifted tenants',
        );
      return result.refused.length > 0 ? ExitCode.Findings : ExitCode.Clean;
    });
  }

  /**
   * Syncs one tenant, prints the direction taken and returns the exit code: `sync <name>` and
   * the root command's `--sync --subdomain <name>` both run this.
   */
  async syncOne(subdomain: string, flags: SyncFlags): Promise<number> {
    await this.preflight.assertStores();
    const result = await this.syncs.sync(subdomain, syncRequest(flags));
    if (flags.json) this.out.json(result);
    else printSync(this.out, result);
    return ExitCode.Clean;
  }

  @Option({
    flags: '--all-drifted',
    name: 'allDrifted',
    description: 'sync every tenant the integrity check finds drifted',
  })
  parseAllDrifted(): boolean {
    return true;
  }

  @Option({
    flags: '--pending',
    name: 'pending',
    description:
      'replay the write-back queue: sync every tenant whose Redis copy could not be written (PostgreSQL preferred)',
  })
  parsePending(): boolean {
    return true;
  }

  @Option({
    flags: '--prefer <side>',
    description: 'redis or postgres: the side that wins when both changed since the last migration',
  })
  parsePrefer(value: string): 'redis' | 'postgres' {
    if (value !== 'redis' && value !== 'postgres')
      throw new InvalidOptionError(`--prefer must be redis or postgres, got "${value}"`);
    return value;
  }

  @Option({ flags: '--dry-run', description: 'say which direction it would take; change nothing' })
  parseDryRun(): boolean {
    return true;
  }
}
