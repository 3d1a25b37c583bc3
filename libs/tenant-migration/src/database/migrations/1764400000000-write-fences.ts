import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, schemaOf, type TableNames, unqualified } from '../table-names.js';

/**
 * What lets every writer prove that it does not overwrite a newer PostgreSQL write, and lets a
 * resumed run recognise the keys it already accounted for:
 *
 * - `<tenants>.written_xact`: the transaction that last wrote the row (set on insert by its
 *   default, on every update by the touch trigger). A writer that read Redis takes a snapshot
 *   (`pg_current_snapshot()`) first; a row whose writing transaction is not visible in that
 *   snapshot was written after the read, and is never overwritten on the strength of it.
 *   Rows written before this migration have none: they are older than any such snapshot.
 * - `<tenantTombstones>`: one row per tenant deleted in PostgreSQL, with the deleting
 *   transaction, so a stale read cannot bring it back (the same visibility rule).
 * - `<migrationRunKeys>`: the keyed fingerprints of the keys each committed batch accounted
 *   for, written in the batch's transaction.
 */
export const writeFences = ({
  tenants,
  tenantTombstones,
  migrationRunKeys,
  migrationRuns,
}: TableNames) => {
  const stem = unqualified(tenants);
  const touch = `${schemaOf(tenants)}${stem}_touch_updated_at`;
  /** The touch trigger's function; with `recordXact`, it also records the writing transaction. */
  const touchFunction = (recordXact: boolean) => `
        CREATE OR REPLACE FUNCTION ${touch}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.migrated_at IS NOT DISTINCT FROM OLD.migrated_at THEN
            NEW.updated_at := now();
          END IF;${recordXact ? '\n          NEW.written_xact := pg_current_xact_id();' : ''}
          RETURN NEW;
        END $$`;
  return class WriteFences1764400000000 implements MigrationInterface {
    name = 'WriteFences1764400000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [tenantTombstones, migrationRunKeys]);
      // Added without a default first, so existing rows are not rewritten; new rows get one.
      await queryRunner.query(`ALTER TABLE ${tenants} ADD COLUMN written_xact xid8`);
      await queryRunner.query(
        `ALTER TABLE ${tenants} ALTER COLUMN written_xact SET DEFAULT pg_current_xact_id()`,
      );
      await queryRunner.query(touchFunction(true));
      await queryRunner.query(`
        CREATE TABLE ${tenantTombstones} (
          subdomain text PRIMARY KEY,
          source_key text,
          deleted_xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
          deleted_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(`
        CREATE TABLE ${migrationRunKeys} (
          run_id uuid NOT NULL REFERENCES ${migrationRuns} (id) ON DELETE CASCADE,
          batch integer NOT NULL,
          fingerprints bytea NOT NULL,
          PRIMARY KEY (run_id, batch)
        )`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${migrationRunKeys}`);
      await queryRunner.query(`DROP TABLE ${tenantTombstones}`);
      await queryRunner.query(touchFunction(false));
      await queryRunner.query(`ALTER TABLE ${tenants} DROP COLUMN written_xact`);
    }
  };
};
