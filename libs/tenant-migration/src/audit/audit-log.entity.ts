import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One state-changing or data-exporting operation: when, what, with which parameters, outcome. */
@Entity({ name: 'audit_log' })
@Index('audit_log_at_idx', ['at'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;

  /** Who asked, where known: `cli:<os user>`, `admin-api`, or what a host passes. */
  @Column({ type: 'text', nullable: true })
  actor!: string | null;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'jsonb' })
  params!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: 'succeeded' | 'failed';

  @Column({ type: 'jsonb' })
  outcome!: Record<string, unknown>;
}
