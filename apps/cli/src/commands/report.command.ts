import { Command, Option } from 'nest-commander';
import { ReportService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { CliCommand } from './cli-command.base.js';
import { printStats, printWrittenReport } from './report.printer.js';

export interface ReportFlags {
  outDir?: string;
  json?: boolean;
}

/** Where reports go unless `--out-dir` says otherwise. */
const DEFAULT_REPORT_DIR = 'reports';

/** `report [--out-dir dir] [--json]` */
@Command({
  name: 'report',
  description:
    'write a JSON and a Markdown report (stores, integrity check, recent runs, validation, backups); exit 1 on drift',
})
export class ReportCommand extends CliCommand {
  constructor(
    private readonly reports: ReportService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: ReportFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'report');
      return this.perform(flags);
    });
  }

  /**
   * Writes the report (JSON and Markdown), prints where and returns the exit code: `report`
   * and the root command's `--report` both run this. Exit 1 on drift.
   */
  async perform(flags: ReportFlags): Promise<number> {
    await this.preflight.assertStores();
    const written = await this.reports.write(flags.outDir ?? DEFAULT_REPORT_DIR);
    if (flags.json)
      this.out.json({
        jsonPath: written.jsonPath,
        markdownPath: written.markdownPath,
        consistent: written.report.integrity.consistent,
      });
    else printWrittenReport(this.out, written);
    return written.report.integrity.consistent ? ExitCode.Clean : ExitCode.Findings;
  }

  @Option({
    flags: '--out-dir <dir>',
    name: 'outDir',
    description: `folder of the report files (default ${DEFAULT_REPORT_DIR})`,
  })
  parseOutDir(value: string): string {
    return value;
  }
}

/** `stats [--json]` */
@Command({
  name: 'stats',
  description:
    'counts at a glance: keys, tenants by source format, recent runs, success rate, backups',
})
export class StatsCommand extends CliCommand {
  constructor(
    private readonly reports: ReportService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: { json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'stats');
      await this.preflight.assertStores();
      const stats = await this.reports.stats();
      if (flags.json) this.out.json(stats);
      else printStats(this.out, stats);
      return ExitCode.Clean;
    });
  }
}
