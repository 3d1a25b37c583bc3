import { Command, CommandRunner, Option } from 'nest-commander';
import { MigrationService } from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { ExitCode } from '../exit-codes.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments } from '../cli-arguments.js';

/** `validate`: checks every tenant value against the rules; reads Redis only. */
@Command({ name: 'validate', description: 'validate every tenant in Redis; reads Redis only, writes nothing anywhere' })
export class ValidateCommand extends CommandRunner {
  constructor(
    private readonly migrations: MigrationService,
    private readonly out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super();
  }

  async run(args: string[], flags: { json?: boolean }): Promise<void> {
    try {
      assertNoArguments(args, 'validate');
      await this.preflight.assertRedis();
      const report = await this.migrations.validateAll();
      if (flags.json) this.out.json(report);
      else this.out.validationSummary(report);
      process.exitCode = report.rejected > 0 ? ExitCode.Findings : ExitCode.Clean;
    } catch (error) {
      process.exitCode = this.out.fail(error);
    }
  }

  @Option({ flags: '--json', description: 'print one JSON document on stdout and nothing else there' })
  parseJson(): boolean {
    return true;
  }
}
