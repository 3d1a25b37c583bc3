import { Command } from 'nest-commander';
import { MigrationService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';
import { doneBeforeStop } from '../stop-signals.js';
import { allOf } from '../callbacks.js';
import { CliCommand } from './cli-command.base.js';
import { printValidation } from './validate.printer.js';

/** `validate`: checks every tenant value against the rules; reads Redis only. */
@Command({
  name: 'validate',
  description: 'validate every tenant in Redis; reads Redis only, writes nothing anywhere',
})
export class ValidateCommand extends CliCommand {
  constructor(
    private readonly migrations: MigrationService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run(args: string[], flags: { json?: boolean }): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(args, 'validate');
      const stops = this.stopOnSignals('validate');
      await this.preflight.assertRedis();
      const onProgress = allOf<[number]>(
        this.out.count('validating', 'keys'),
        this.out.verbose.scanProgress('validate'),
      );
      const report = await stops.run(
        (signal) => this.migrations.validateAll(onProgress, signal),
        (stopped, signal) => ({
          message: `validate stopped on ${signal}${doneBeforeStop(stopped, 'scanned', 'validating', 'keys')}; it wrote nothing`,
        }),
      );
      this.out.stopProgress();
      this.out.verbose.log(
        `validate: scanned ${report.scanned}: valid ${report.valid}, rejected ${report.rejected}, skipped ${report.skipped} in ${report.durationMs} ms`,
      );
      if (flags.json) this.out.json(report);
      else printValidation(this.out, report);
      return report.rejected > 0 ? ExitCode.Findings : ExitCode.Clean;
    });
  }
}
