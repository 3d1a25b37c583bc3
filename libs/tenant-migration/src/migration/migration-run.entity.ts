import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type {
  MigrationCheckpoint,
  MigrationCounts,
  MigrationRunKind,
  MigrationRunOptions,
  MigrationRunStatus,
} from './migration.types.js';

/** One recorded migration run: its options, live counts, checkpoint and outcome. */
@Entity({ name: 'migration_runs' })
@Index('migration_runs_status_idx', ['status'])
export class MigrationRunEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  kind!: MigrationRunKind;

  @Column({ type: 'text' })
  status!: MigrationRunStatus;

  @Column({ type: 'jsonb' })
  options!: MigrationRunOptions;

  @Column({ type: 'jsonb' })
  counts!: MigrationCounts;

  /** Null until the first batch commits; resume starts from here. */
  @Column({ type: 'jsonb', nullable: true })
  checkpoint!: MigrationCheckpoint | null;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
