/** Shapes of backups, their verification and their restore. */

export type BackupKind = 'redis' | 'postgres';

/** Where a backup came from, without credentials. */
export interface BackupSource {
  host: string;
  port: number;
  /** Redis database number, or PostgreSQL database name. */
  database: string;
}

export const BACKUP_FORMAT = 'tenant-migrate-backup';
/**
 * 2: the trailer's checksum covers the header line too, so an edited scope, kind or id fails
 * verification. 1: it covers the entries only; such files are still read.
 */
export const BACKUP_FORMAT_VERSION = 2;
export const READABLE_BACKUP_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** First line of a backup file. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  id: string;
  kind: BackupKind;
  createdAt: string;
  source: BackupSource;
  /** Redis: the key prefix. PostgreSQL: the table. */
  scope: string;
  /** PostgreSQL: the COPY column list the rows follow. */
  columns?: string[];
}

/**
 * Last line of a backup file: what the entries between header and trailer add up to. `sha256`
 * covers the header line and every entry line, each with its newline (version 1: the entries only).
 */
export interface BackupTrailer {
  entries: number;
  bytes: number;
  sha256: string;
}

/**
 * One Redis key: base64 key, type, absolute expiry (epoch ms) or null, base64 DUMP payload,
 * and for collections the content digest that equality is decided on.
 */
export interface RedisBackupEntry {
  k: string;
  t: string;
  e: number | null;
  d: string;
  h?: string;
}

export interface BackupSummary {
  id: string;
  kind: BackupKind;
  path: string;
  scope: string;
  source: BackupSource;
  entryCount: number;
  totalBytes: number;
  checksum: string;
  createdAt: Date;
  verifiedAt: Date | null;
  durationMs?: number;
}

export interface LiveComparison {
  /** In the backup, gone from Redis. */
  missing: number;
  /** In Redis under the prefix, not in the backup. */
  extra: number;
  /** In both, with another value, type or TTL presence. */
  changed: number;
  unchanged: number;
  samples: { key: string; state: 'missing' | 'extra' | 'changed' }[];
}

export interface BackupVerifyReport {
  ok: boolean;
  path: string;
  /** The recorded backup, when the file is one this system recorded. */
  backup: BackupSummary | null;
  header: BackupHeader | null;
  entries: number;
  checksum: string | null;
  problems: string[];
  live?: LiveComparison;
}

export type RestoreOutcome = 'restored' | 'unchanged' | 'conflict' | 'overwritten' | 'expired';

export interface RedisRestoreReport {
  dryRun: boolean;
  backupId: string;
  /** The target Redis, without credentials. */
  target: string;
  entries: number;
  restored: number;
  unchanged: number;
  /** Existing keys with another value, left alone (without `overwrite`). */
  conflicts: number;
  overwritten: number;
  /** Keys whose TTL ran out since the backup: not restored. */
  expired: number;
  samples: { key: string; outcome: RestoreOutcome }[];
  durationMs: number;
}

export interface PostgresRestoreReport {
  dryRun: boolean;
  backupId: string;
  table: string;
  rowsInBackup: number;
  rowsReplaced: number;
  durationMs: number;
}
