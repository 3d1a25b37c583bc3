import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ExceptionBucket } from './migration.types.js';

/**
 * The quarantine: every key a run did not migrate or leave unchanged, with its reasons and
 * enough of the raw value (a bounded prefix, its sha256 and size) to find and fix it.
 */
@Entity({ name: 'migration_exceptions' })
@Index('migration_exceptions_run_idx', ['runId', 'bucket'])
export class MigrationExceptionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  bucket!: ExceptionBucket;

  @Column({ type: 'jsonb' })
  reasons!: OutcomeReason[];

  @Column({ name: 'value_prefix', type: 'bytea', nullable: true })
  valuePrefix!: Buffer | null;

  @Column({ name: 'value_sha256', type: 'text', nullable: true })
  valueSha256!: string | null;

  @Column({ name: 'value_size', type: 'integer', nullable: true })
  valueSize!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
