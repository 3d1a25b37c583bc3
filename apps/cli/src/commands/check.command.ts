import { Command, Option } from 'nest-commander';
import { IntegrityService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { doneBeforeStop } from '../stop-signals.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, parseLimit } from '../cli-arguments.js';
import { allOf } from '../callbacks.js';
import { CliCommand } from './cli-command.base.js';
import { printIntegrityReport } from './check.printer.js';

export interface CheckFlags {
  json?: boolean;
  limit?: number;
}

/** How many drifts the human view lists unless told otherwise; --json lists them all. */
const HUMAN_LIMIT = 50;

/** `check [--limit n] [--json]` */
@Command({
  name: 'check',
  description:
    'compare every tenant in Redis with PostgreSQL, field by field; exit 1 on drift. Lists the first 50 differences ' +
    '(--limit n, 0 for all); --json lists all of them',
})
export class CheckCommand extends CliCommand {
  constructor(
    private readonly integrity: IntegrityService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: CheckFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'check');
      return this.perform(flags);
    });
  }

  /**
   * Runs the integrity check, prints it and returns the exit code: `check` and the root
   * command's `--check` both run this. Exit 0 when the stores agree, 1 when any tenant drifted.
   */
  async perform(flags: CheckFlags): Promise<number> {
    const stops = this.stopOnSignals('check');
    await this.preflight.assertStores();
    const onProgress = allOf<[number]>(
      this.out.count('checking', 'keys'),
      this.out.verbose.scanProgress('check'),
    );
    const report = await stops.run(
      (signal) =>
        this.integrity.check({
          limit: flags.limit ?? (flags.json ? 0 : HUMAN_LIMIT),
          signal,
          onProgress,
        }),
      (stopped, signal) => ({
        message: `check stopped on ${signal}${doneBeforeStop(stopped, 'scanned', 'reading', 'keys')}; it changed nothing`,
      }),
    );
    this.out.stopProgress();
    this.out.verbose.log(
      `check: ${report.redisKeys} Redis keys, ${report.postgresTenants} PostgreSQL tenants: matching ${report.matching}, only in Redis ${report.onlyInRedis}, ` +
        `only in PostgreSQL ${report.onlyInPostgres}, different ${report.different} in ${report.durationMs} ms`,
    );
    if (flags.json) this.out.json(report);
    else printIntegrityReport(this.out, report);
    return report.consistent ? ExitCode.Clean : ExitCode.Findings;
  }

  @Option({
    flags: '--limit <n>',
    description: 'how many differences to list (0-1000000; 0 lists all)',
  })
  parseLimit(value: string): number {
    return value === '0' ? 0 : parseLimit(value, 1_000_000);
  }
}
