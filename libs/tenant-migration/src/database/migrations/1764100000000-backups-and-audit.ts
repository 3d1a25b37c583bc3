import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, type TableNames, unqualified } from '../table-names.js';

/** The backup ledger and the audit log of state-changing and exporting operations. */
export const backupsAndAudit = ({ backups, auditLog }: TableNames) =>
  class BackupsAndAudit1764100000000 implements MigrationInterface {
    name = 'BackupsAndAudit1764100000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [backups, auditLog]);
      await queryRunner.query(`
        CREATE TABLE ${backups} (
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
      await queryRunner.query(
        `CREATE INDEX ${unqualified(backups)}_created_idx ON ${backups} (created_at)`,
      );
      await queryRunner.query(`
        CREATE TABLE ${auditLog} (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          actor text,
          action text NOT NULL,
          params jsonb NOT NULL,
          status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
          outcome jsonb NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX ${unqualified(auditLog)}_at_idx ON ${auditLog} (at)`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${auditLog}`);
      await queryRunner.query(`DROP TABLE ${backups}`);
    }
  };
