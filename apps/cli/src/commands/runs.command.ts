import { Command, Option } from 'nest-commander';
import { MigrationRunsService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseLimit } from '../cli-arguments.js';
import { CliCommand } from './cli-command.base.js';
import { printRuns } from './runs.printer.js';

/** `runs`: the newest recorded migration runs with their status and counts. */
@Command({ name: 'runs', description: 'list the newest migration runs' })
export class RunsCommand extends CliCommand {
  constructor(
    private readonly runs: MigrationRunsService,
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
      else printRuns(this.out, runs);
      return ExitCode.Clean;
    });
  }

  @Option({ flags: '--limit <n>', description: 'how many runs (1-1000, default 10)' })
  parseLimit(value: string): number {
    return parseLimit(value);
  }
}
