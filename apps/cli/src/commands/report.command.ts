import { Command, Option } from 'nest-commander';
import { ReportService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { CliCommand } from './cli-command.base.js';

/** Where reports go unless `--out-dir` says otherwise. */
const DEFAULT_REPORT_DIR = 'reports';

/** Writes the report (JSON and Markdown) and prints where: `report` and the root's `--report`. */
export const runReport = async (
  reports: ReportService,
  out: CliOutput,
  preflight: StorePreflight,
  flags: { outDir?: string; json?: boolean },
): Promise<number> => {
  await preflight.assertStores();
  const written = await reports.write(flags.outDir ?? DEFAULT_REPORT_DIR);
  if (flags.json)
    out.json({
      jsonPath: written.jsonPath,
      markdownPath: written.markdownPath,
      consistent: written.report.integrity.consistent,
    });
  else {
    out.line(`Report written: ${written.markdownPath}`);
    out.line(`               ${written.jsonPath}`);
    out.line(
      written.report.integrity.consistent
        ? 'Redis and PostgreSQL agree.'
        : 'Drift found: see the report.',
    );
  }
  return written.report.integrity.consistent ? ExitCode.Clean : ExitCode.Findings;
};

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

  async run(args: string[], flags: { outDir?: string; json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'report');
      return runReport(this.reports, this.out, this.preflight, flags);
    });
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
      else this.out.statsSummary(stats);
      return ExitCode.Clean;
    });
  }
}
