import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { InvalidOptionError } from '../errors/index.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  type BackupHeader,
  type BackupKind,
  type BackupSource,
} from './backup.types.js';

/** What a new backup file is about to hold, and where it is written. */
export interface NewBackup {
  kind: BackupKind;
  /** Redis: the key prefix. PostgreSQL: the table. */
  scope: string;
  source: BackupSource;
  /** Where to write; default `<backupDir>/<kind>-<timestamp>-<id>.ndjson.gz`. */
  outPath: string | undefined;
  backupDir: string;
  /** PostgreSQL: the COPY column list. */
  columns?: string[];
}

/** A new backup's header (with a fresh id) and its absolute path, which must end in `.gz`. */
export const newBackupHeader = (backup: NewBackup): { header: BackupHeader; path: string } => {
  const { kind, scope, source, outPath, backupDir, columns } = backup;
  const id = randomUUID();
  const createdAt = new Date();
  const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
  const path = resolve(
    outPath ??
      `${backupDir}/${kind === 'redis' ? 'redis' : 'tenants'}-${stamp}-${id.slice(0, 8)}.ndjson.gz`,
  );
  if (!path.endsWith('.gz'))
    throw new InvalidOptionError(`a backup path must end in .gz, got ${path}`, { path });
  return {
    path,
    header: {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      id,
      kind,
      createdAt: createdAt.toISOString(),
      source,
      scope,
      ...(columns ? { columns } : {}),
    },
  };
};
