import { Injectable } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';
import { CliOutput } from '../cli-output.service.js';

/**
 * What every command shares: the `--json` flag and the rule that a failure becomes one
 * stderr line and an exit code, never a stack trace. `@Injectable()` keeps the DI metadata
 * for subclasses that declare no constructor; nest-commander finds inherited `@Option`s.
 */
@Injectable()
export abstract class CliCommand extends CommandRunner {
  constructor(protected readonly out: CliOutput) {
    super();
  }

  /**
   * Runs a command's body and sets the exit code it returns. Any error (usage, store
   * unreachable, lock held) is reported by `out.fail`, which chooses the code.
   */
  protected async attempt(body: () => Promise<number>): Promise<void> {
    try {
      process.exitCode = await body();
    } catch (error) {
      process.exitCode = this.out.fail(error);
    }
  }

  @Option({ flags: '--json', description: 'print one JSON document on stdout and nothing else there' })
  parseJson(): boolean {
    return true;
  }
}
