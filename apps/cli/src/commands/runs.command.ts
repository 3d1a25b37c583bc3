import { Command, Option } from 'nest-commander';
import { MigrationRunRepository, type MigrationRunEntity } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseLimit } from '../cli-arguments.js';
import { CliCommand } from './cli-command.base.js';

/** `runs`: the newest recorded migration runs with their status and counts. */
@Command({ name: 'runs', description: 'list the newest migration runs' })
export class RunsCommand extends CliCommand {
  constructor(
    private readonly runs: MigrationRunRepository,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: { json?: boolean; limit?: number }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'runs');
      await this.preflight.assertStores({ redis: false });
      const runs = await this.runs.latest(flags.limit ?? 10);
      if (flags.json) this.out.json(runs);
      else this.printRuns(runs);
      return ExitCode.Clean;
    });
  }

  /** One line per run, newest first. */
  private printRuns(runs: MigrationRunEntity[]): void {
    if (runs.length === 0) return this.out.line('No migration runs recorded.');
    for (const r of runs) {
      const c = r.counts;
      this.out.line(
        `${r.id}  ${r.status.padEnd(11)} ${r.startedAt.toISOString()}  scanned ${c.scanned} migrated ${c.migrated} ` +
          `unchanged ${c.unchanged} skipped ${c.skipped} rejected ${c.rejected} conflicts ${c.conflicts}` +
          (r.error ? `  error: ${r.error}` : ''),
      );
    }
  }

  @Option({ flags: '--limit <n>', description: 'how many runs (1-1000, default 10)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}
