import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Command, Option, SubCommand } from 'nest-commander';
import {
  errorMessage,
  InvalidOptionError,
  MigrationRunsService,
  type ExceptionFilters,
} from '#tenant-migration';
import { CliOutput } from '../cli-output.service.js';
import { StorePreflight } from '../store-preflight.service.js';
import { assertNoArguments, assertRunId } from '../cli-arguments.js';
import { ExitCode } from '../exit-codes.js';
import { terminalSafeJson } from '../terminal-text.js';
import { CliCommand } from './cli-command.base.js';

export interface ExceptionsExportFlags extends ExceptionFilters {
  outPath?: string;
  json?: boolean;
}

/** Writes `text`, waiting while the stream's buffer is full (an error while waiting rejects). */
const write = async (stream: NodeJS.WritableStream, text: string): Promise<void> => {
  if (!stream.write(text)) await once(stream, 'drain');
};

/** The reader of a pipe went away (EPIPE): nobody wants more output. */
const isClosedPipe = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'EPIPE';

/** Opens `path` for a new file only: an existing file is never replaced. */
const createFile = async (path: string): Promise<WriteStream> => {
  const file = createWriteStream(path, { flags: 'wx' });
  try {
    await once(file, 'open');
    return file;
  } catch (error) {
    const exists = (error as { code?: unknown }).code === 'EEXIST';
    throw new InvalidOptionError(
      exists
        ? `${path} already exists: an export never replaces a file; choose another path`
        : `cannot create ${path}: ${errorMessage(error)}`,
      { path },
    );
  }
};

/**
 * `exceptions export <runId> [--out <file>] [--bucket rejected|skipped] [--reason <code>]
 * [--subdomain <name>]`: the run's quarantine as NDJSON, the lines `GET
 * .../runs/:id/exceptions/export` answers. A file gets them as they are; stdout gets them with
 * the characters a terminal acts on as `\u` escapes (the same values once parsed).
 */
@SubCommand({
  name: 'export',
  arguments: '<runId>',
  argsDescription: { runId: 'the run whose quarantine to export (see `runs`)' },
  description:
    "write a run's quarantined keys as NDJSON, one JSON object a line in recording order " +
    '(key, bucket, reasons, value sha256, size and first bytes as base64), to --out or stdout',
})
export class ExceptionsExportCommand extends CliCommand {
  constructor(
    private readonly runs: MigrationRunsService,
    out: CliOutput,
    private readonly preflight: StorePreflight,
  ) {
    super(out);
  }

  async run([runId, ...rest]: string[], flags: ExceptionsExportFlags): Promise<void> {
    await this.attempt(async () => {
      assertNoArguments(rest, 'exceptions export');
      const id = assertRunId(runId);
      await this.preflight.assertStores({ redis: false });
      const { bucket, reason, subdomain } = flags;
      const lines = await this.runs.exportExceptions(id, { bucket, reason, subdomain });
      if (!flags.outPath) {
        const { rows, cut } = await this.toStdout(lines);
        const closed = cut ? ' (its reader closed it)' : '';
        this.out.err(
          `exceptions export: ${rows} quarantined keys of run ${id} written to stdout${closed}`,
        );
        return ExitCode.Clean;
      }
      const rows = await this.toFile(lines, flags.outPath);
      if (flags.json) this.out.json({ runId: id, rows, path: flags.outPath });
      else
        this.out.err(
          `exceptions export: ${rows} quarantined keys of run ${id} written to ${flags.outPath}`,
        );
      return ExitCode.Clean;
    });
  }

  /**
   * Writes the lines to stdout. A reader that closes the pipe early (`| head`) ends the export
   * there, not as a failure: the count says how many keys it took.
   */
  private async toStdout(lines: AsyncIterable<string>): Promise<{ rows: number; cut: boolean }> {
    let failure: Error | null = null;
    const onError = (error: Error) => (failure ??= error);
    process.stdout.on('error', onError);
    let rows = 0;
    try {
      for await (const line of lines) {
        if (failure) break;
        await write(process.stdout, terminalSafeJson(line));
        rows++;
      }
    } catch (error) {
      if (!isClosedPipe(error)) throw error;
      failure ??= error instanceof Error ? error : new Error(errorMessage(error));
    } finally {
      process.stdout.off('error', onError);
    }
    if (failure && !isClosedPipe(failure)) throw failure;
    return { rows, cut: failure !== null };
  }

  /** Writes the lines to a new file; an export that fails removes what it wrote. */
  private async toFile(lines: AsyncIterable<string>, path: string): Promise<number> {
    const file = await createFile(path);
    let rows = 0;
    try {
      for await (const line of lines) {
        await write(file, line);
        rows++;
      }
      file.end();
      await once(file, 'close');
      return rows;
    } catch (error) {
      file.destroy();
      await unlink(path).catch(() => undefined);
      throw error;
    }
  }

  @Option({
    flags: '--out <file>',
    name: 'outPath',
    description: 'write to this new file (an existing one is refused)',
  })
  parseOut(value: string): string {
    return value;
  }

  @Option({ flags: '--bucket <bucket>', description: 'rejected or skipped keys only' })
  parseBucket(value: string): 'rejected' | 'skipped' {
    if (value === 'rejected' || value === 'skipped') return value;
    throw new InvalidOptionError(`--bucket must be rejected or skipped, got "${value}"`);
  }

  @Option({
    flags: '--reason <code>',
    description: 'keys with this reason code only, e.g. invalid-json',
  })
  parseReason(value: string): string {
    return value;
  }

  @Option({
    flags: '--subdomain <name>',
    description: "the keys of this tenant only (<the run's prefix><name>, any case)",
  })
  parseSubdomain(value: string): string {
    return value;
  }
}

/** `exceptions`: a run's quarantine; `export` below it. */
@Command({
  name: 'exceptions',
  description: "a migration run's quarantined keys (see `exceptions export`)",
  subCommands: [ExceptionsExportCommand],
})
export class ExceptionsCommand extends CliCommand {
  async run(args: string[]): Promise<void> {
    await this.attempt(() => {
      assertNoArguments(args, 'exceptions');
      throw new InvalidOptionError(
        'exceptions needs a subcommand: exceptions export <runId>; see --help',
      );
    });
  }
}
