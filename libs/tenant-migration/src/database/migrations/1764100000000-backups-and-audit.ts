import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The backup ledger and the audit log of state-changing and exporting operations. */
export class BackupsAndAudit1764100000000 implements MigrationInterface {
  name = 'BackupsAndAudit1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backups (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('redis', 'postgres')),
        path text NOT NULL,
        scope text NOT NULL,
        source jsonb NOT NULL,
        entry_count integer NOT NULL,
        total_bytes bigint NOT NULL,
        checksum text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        verified_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX backups_created_idx ON backups (created_at)`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text,
        action text NOT NULL,
        params jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
        outcome jsonb NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_at_idx ON audit_log (at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_log`);
    await queryRunner.query(`DROP TABLE backups`);
  }
}
