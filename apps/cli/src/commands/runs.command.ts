import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidOptionError, MigrationRunRepository } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';

/** `runs`: the newest recorded migration runs with their status and counts. */
@Command({ name: 'runs', description: 'list the newest migration runs' })
export class RunsCommand extends CommandRunner {
  constructor(
    private readonly runs: MigrationRunRepository,
    private readonly out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super();
  }

  async run(args: string[], flags: { json?: boolean; limit?: number }): Promise<void> {
    try {
      assertNoArguments(args, 'runs');
      await this.preflight.assertStores({ redis: false });
      const runs = await this.runs.latest(flags.limit ?? 10);
      if (flags.json) return this.out.json(runs);
      if (runs.length === 0) return this.out.line('No migration runs recorded.');
      for (const r of runs) {
        const c = r.counts;
        this.out.line(
          `${r.id}  ${r.status.padEnd(11)} ${r.startedAt.toISOString()}  scanned ${c.scanned} migrated ${c.migrated} ` +
            `unchanged ${c.unchanged} skipped ${c.skipped} rejected ${c.rejected} conflicts ${c.conflicts}` +
            (r.error ? `  error: ${r.error}` : ''),
        );
      }
    } catch (error) {
      process.exitCode = this.out.fail(error);
    }
  }

  @Option({ flags: '--json', description: 'print one JSON document on stdout' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '--limit <n>', description: 'how many runs (1-1000, default 10)' })
  parseLimit(value: string): number {
    const limit = Number(value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidOptionError(`--limit must be 1-1000, got "${value}"`);
    return limit;
  }
}
