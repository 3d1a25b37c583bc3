import { Command, Option } from 'nest-commander';
import {
  InvalidOptionError,
  SyncService,
  type SyncAllResult,
  type SyncRequest,
  type SyncResult,
} from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { cliActor } from '../cli-actor.js';
import { CliCommand } from './cli-command.base.js';

export interface SyncFlags {
  prefer?: 'redis' | 'postgres';
  dryRun?: boolean;
  json?: boolean;
  allDrifted?: boolean;
  pending?: boolean;
}

/**
 * A sync's direction, what it did and why. A deletion is spelled out: "redis-to-postgres" alone
 * would read as a write.
 */
export const describeSync = (result: SyncResult): string => {
  const deleted =
    result.change === 'delete'
      ? result.dryRun
        ? ', would delete in PostgreSQL'
        : ', deleted in PostgreSQL'
      : '';
  return `${result.direction}${deleted} — ${result.reason}`;
};

/** The summary line of a run over many tenants, with the deletions counted apart. */
const describeSyncAll = (result: SyncAllResult, what: string): string => {
  const deletions = result.byChange.delete ?? 0;
  const deleted =
    deletions === 0
      ? ''
      : ` (${deletions} ${result.dryRun ? 'to delete' : 'deleted'} in PostgreSQL: their keys were deleted or expired in Redis)`;
  return `${result.dryRun ? 'Would sync' : 'Synced'} ${result.synced} of ${result.drifted} ${what}${deleted}`;
};

/** Syncs one tenant and prints the direction taken: `sync <name>` and the root's `--sync --subdomain <name>`. */
export const runSync = async (
  sync: SyncService,
  out: CliOutput,
  preflight: StorePreflight,
  subdomain: string,
  flags: SyncFlags,
): Promise<number> => {
  await preflight.assertStores();
  const request: SyncRequest = {
    prefer: flags.prefer,
    dryRun: flags.dryRun ?? false,
    actor: cliActor(),
  };
  const result = await sync.sync(subdomain, request);
  if (flags.json) out.json(result);
  else
    out.line(
      `${result.dryRun ? 'Would sync' : 'Synced'} ${result.subdomain} (${result.key}): ${describeSync(result)}`,
    );
  return ExitCode.Clean;
};

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
      if (subdomain !== undefined)
        return runSync(this.syncs, this.out, this.preflight, subdomain, flags);
      await this.preflight.assertStores();
      const request: SyncRequest = {
        prefer: flags.prefer,
        dryRun: flags.dryRun ?? false,
        actor: cliActor(),
      };
      const result = flags.pending
        ? await this.syncs.syncPending(request)
        : await this.syncs.syncAllDrifted(request);
      if (flags.json) this.out.json(result);
      else {
        const what = flags.pending ? 'tenants with a pending write-back' : 'drifted tenants';
        this.out.line(describeSyncAll(result, what));
        for (const r of result.results)
          if (r.direction !== 'none')
            this.out.line(`  ${r.subdomain} (${r.key}): ${describeSync(r)}`);
        for (const r of result.refused) this.out.line(`  refused ${r.subdomain}: ${r.reason}`);
      }
      return result.refused.length > 0 ? ExitCode.Findings : ExitCode.Clean;
    });
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
