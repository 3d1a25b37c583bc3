import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { BackupEntity } from '../backup/backup.entity.js';
import { BackupService } from '../backup/backup.service.js';
import { scanBackupFile } from '../backup/backup-file.js';
import type { RedisBackupEntry } from '../backup/backup.types.js';
import { BackupNotFoundError, CleanupRefusedError, InvalidBackupError } from '../errors/index.js';
import { CleanupRepository } from './cleanup.repository.js';

/** The backup a cleanup relies on: its id, where its file is, and how many entries it holds. */
export type CleanupBackup = Pick<BackupEntity, 'id' | 'path' | 'entryCount'>;

/**
 * The backup a cleanup may rely on: the newest verified backup of the prefix, and only if its
 * file verifies again now (verified once is not enough: the file may have been altered,
 * truncated or removed since). Anything else refuses the cleanup (CleanupRefusedError).
 */
@Injectable()
export class CleanupBackupGate {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly store: CleanupRepository,
    private readonly backups: BackupService,
  ) {}

  /**
   * `onProgress` hears how far through the file its verification is. `pinned` is the backup a
   * stopped cleanup relied on: its continuation relies on that one, newer backups or not.
   */
  async verifiedBackup(
    actor: string | undefined,
    onProgress?: (entries: number, total: number | null) => void,
    pinned?: string,
  ): Promise<CleanupBackup> {
    const prefix = this.options.keyPrefix;
    const backup = pinned
      ? await this.store.verifiedBackup(pinned, prefix)
      : await this.store.newestVerifiedBackup(prefix);
    if (!backup && pinned) {
      throw new CleanupRefusedError(
        `backup ${pinned}, which the stopped cleanup relied on, is no longer a verified backup of "${prefix}": cancel this operation and start a new cleanup`,
        { prefix, backupId: pinned },
      );
    }
    if (!backup) {
      throw new CleanupRefusedError(
        `no verified backup of "${prefix}": run \`backup\`, then \`backup verify <id>\`, then cleanup`,
        { prefix },
      );
    }
    // The file must still be intact now, not only when it was verified.
    const verification = await this.backups
      .verify(backup.id, { actor, onProgress })
      .catch((error: unknown) => {
        // Its file is gone, is a folder now, or cannot be read: nothing can be proven safe.
        if (error instanceof BackupNotFoundError || error instanceof InvalidBackupError) {
          throw new CleanupRefusedError(
            `backup ${backup.id} no longer verifies: ${error.message}`,
            { backupId: backup.id, path: backup.path },
            { cause: error },
          );
        }
        throw error;
      });
    if (!verification.ok) {
      throw new CleanupRefusedError(
        `backup ${backup.id} no longer verifies: ${verification.problems.join('; ')}`,
        { backupId: backup.id },
      );
    }
    return backup;
  }

  /** Reads the backup's entries in file order, awaiting `onEntry` for each. */
  async entries(
    backup: CleanupBackup,
    onEntry: (entry: RedisBackupEntry) => Promise<void>,
  ): Promise<void> {
    await scanBackupFile(backup.path, (line) => onEntry(JSON.parse(line) as RedisBackupEntry));
  }
}
