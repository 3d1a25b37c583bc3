import { Injectable } from '@nestjs/common';
import { Option } from 'nest-commander';
import { InvalidOptionError, type ConflictPolicy } from '#tenant-migration';
import { CliCommand } from './cli-command.base.js';
import { parseWholeNumber } from '../cli-arguments.js';

export interface MigrationFlags {
  dryRun?: boolean;
  json?: boolean;
  batchSize?: number;
  conflictPolicy?: ConflictPolicy;
  resume?: boolean;
}

const POLICIES: readonly ConflictPolicy[] = ['keep-postgres', 'overwrite', 'skip'];

/** The migration flags, shared by the root command, `migrate`, `dry-run` and `resume`. */
@Injectable()
export abstract class MigrationOptionsCommand extends CliCommand {
  @Option({ flags: '--dry-run', description: 'preview: count what would change and write nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({
    flags: '--no-resume',
    description: 'start a new run even if an interrupted one exists',
  })
  parseNoResume(): boolean {
    return false;
  }

  @Option({
    flags: '--batch-size <n>',
    description: 'keys per batch and transaction (1-50000; default MIGRATION_BATCH_SIZE)',
  })
  parseBatchSize(value: string): number {
    return parseWholeNumber(value, '--batch-size');
  }

  @Option({
    flags: '--conflict-policy <policy>',
    description: 'keep-postgres (default), overwrite or skip',
  })
  parseConflictPolicy(value: string): ConflictPolicy {
    if (!POLICIES.includes(value as ConflictPolicy)) {
      throw new InvalidOptionError(
        `--conflict-policy must be one of ${POLICIES.join(', ')}, got "${value}"`,
      );
    }
    return value as ConflictPolicy;
  }
}
