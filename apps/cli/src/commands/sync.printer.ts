import type { SyncAllResult, SyncResult } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';

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

/** `sync <subdomain>`: one line, the tenant and the direction taken. */
export const printSync = (out: CliOutput, result: SyncResult): void => {
  out.line(
    `${result.dryRun ? 'Would sync' : 'Synced'} ${result.subdomain} (${result.key}): ${describeSync(result)}`,
  );
};

/** `sync --all-drifted` or `--pending`: the summary, then each tenant synced or refused. */
export const printSyncAll = (out: CliOutput, result: SyncAllResult, what: string): void => {
  out.line(describeSyncAll(result, what));
  for (const r of result.results)
    if (r.direction !== 'none') out.line(`  ${r.subdomain} (${r.key}): ${describeSync(r)}`);
  for (const r of result.refused) out.line(`  refused ${r.subdomain}: ${r.reason}`);
};
