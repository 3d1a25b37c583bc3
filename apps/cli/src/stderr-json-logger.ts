/**
 * The CLI's log lines with LOG_FORMAT=json: Nest's own JSON logger (the admin app's format, one
 * object a line: level, pid, timestamp, message, context), written to stderr whatever the level.
 * Nest writes the lower levels to stdout, where the CLI's report or `--json` document goes.
 */
import { ConsoleLogger, type LogLevel } from '@nestjs/common';

export class StderrJsonLogger extends ConsoleLogger {
  constructor(context = 'tenant-migrate') {
    super(context, {
      json: true,
      logLevels: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
    });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
