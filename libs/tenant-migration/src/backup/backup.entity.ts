import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { BackupKind, BackupSource, BackupSummary } from './backup.types.js';

/** A backup file written by this system, with what it must contain to pass verification. */
@Entity({ name: 'backups' })
@Index('backups_created_idx', ['createdAt'])
export class BackupEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  kind!: BackupKind;

  @Column({ type: 'text' })
  path!: string;

  /** Redis: the key prefix backed up. PostgreSQL: the table. */
  @Column({ type: 'text' })
  scope!: string;

  @Column({ type: 'jsonb' })
  source!: BackupSource;

  /** Keys (Redis) or rows (PostgreSQL). */
  @Column({ name: 'entry_count', type: 'integer' })
  entryCount!: number;

  /** Uncompressed bytes of the entries. */
  @Column({ name: 'total_bytes', type: 'bigint' })
  totalBytes!: string;

  /** sha256 (hex) of the uncompressed entry lines, as in the file's trailer. */
  @Column({ type: 'text' })
  checksum!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;
}

/** A backup's record as the API and the CLI show it. */
export const toSummary = (b: BackupEntity): BackupSummary => ({
  id: b.id,
  kind: b.kind,
  path: b.path,
  scope: b.scope,
  source: b.source,
  entryCount: b.entryCount,
  totalBytes: Number(b.totalBytes),
  checksum: b.checksum,
  createdAt: b.createdAt,
  verifiedAt: b.verifiedAt,
});
