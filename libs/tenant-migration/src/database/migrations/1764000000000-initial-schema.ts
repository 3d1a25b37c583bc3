import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, schemaOf, type TableNames, unqualified } from '../table-names.js';

/**
 * The tenants table, the run ledger and the quarantine.
 *
 * `<tenants>_touch_updated_at` moves updated_at on every write that does not also move
 * migrated_at, so "changed in PostgreSQL after its last migration" is exactly
 * `updated_at > migrated_at`, whoever wrote the row and however.
 */
export const initialSchema = ({ tenants, migrationRuns, migrationExceptions }: TableNames) => {
  const stem = unqualified(tenants);
  const touch = `${schemaOf(tenants)}${stem}_touch_updated_at`;
  return class InitialSchema1764000000000 implements MigrationInterface {
    name = 'InitialSchema1764000000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [tenants, migrationRuns, migrationExceptions]);
      await queryRunner.query(`
        CREATE TABLE ${tenants} (
          id uuid PRIMARY KEY,
          subdomain text NOT NULL,
          emoji text NOT NULL,
          created_at timestamptz NOT NULL,
          business_name text,
          business_category text NOT NULL,
          business_description text,
          owner_name text,
          email text,
          phone text,
          address text,
          logo text,
          brand_colors jsonb,
          feature_whatsapp boolean NOT NULL DEFAULT false,
          feature_home_visit boolean NOT NULL DEFAULT false,
          feature_analytics boolean NOT NULL DEFAULT false,
          feature_custom_templates boolean NOT NULL DEFAULT false,
          feature_multi_staff boolean NOT NULL DEFAULT false,
          subscription_plan text NOT NULL,
          subscription_status text NOT NULL,
          subscription_expires_at timestamptz,
          profile_complete boolean NOT NULL DEFAULT false,
          source_format text NOT NULL,
          source_id text,
          source_key text,
          source_hash text,
          migrated_at timestamptz,
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT ${stem}_source_format_check CHECK (source_format IN ('legacy', 'enhanced', 'app')),
          CONSTRAINT ${stem}_subscription_plan_check CHECK (subscription_plan IN ('basic', 'premium', 'enterprise')),
          CONSTRAINT ${stem}_subscription_status_check CHECK (subscription_status IN ('active', 'suspended', 'cancelled'))
        )`);
      await queryRunner.query(
        `CREATE UNIQUE INDEX ${stem}_subdomain_key ON ${tenants} (subdomain)`,
      );
      await queryRunner.query(`
        CREATE FUNCTION ${touch}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.migrated_at IS NOT DISTINCT FROM OLD.migrated_at THEN
            NEW.updated_at := now();
          END IF;
          RETURN NEW;
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER ${stem}_touch_updated_at BEFORE UPDATE ON ${tenants}
        FOR EACH ROW EXECUTE FUNCTION ${touch}()`);

      await queryRunner.query(`
        CREATE TABLE ${migrationRuns} (
          id uuid PRIMARY KEY,
          kind text NOT NULL,
          status text NOT NULL,
          options jsonb NOT NULL,
          counts jsonb NOT NULL,
          checkpoint jsonb,
          started_at timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz,
          heartbeat_at timestamptz,
          duration_ms integer,
          error text
        )`);
      await queryRunner.query(
        `CREATE INDEX ${unqualified(migrationRuns)}_status_idx ON ${migrationRuns} (status)`,
      );

      await queryRunner.query(`
        CREATE TABLE ${migrationExceptions} (
          id bigserial PRIMARY KEY,
          run_id uuid NOT NULL REFERENCES ${migrationRuns} (id) ON DELETE CASCADE,
          key text NOT NULL,
          bucket text NOT NULL CHECK (bucket IN ('rejected', 'skipped')),
          reasons jsonb NOT NULL,
          value_prefix bytea,
          value_sha256 text,
          value_size integer,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(
        `CREATE INDEX ${unqualified(migrationExceptions)}_run_idx ON ${migrationExceptions} (run_id, bucket)`,
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${migrationExceptions}`);
      await queryRunner.query(`DROP TABLE ${migrationRuns}`);
      await queryRunner.query(`DROP TABLE ${tenants}`);
      await queryRunner.query(`DROP FUNCTION ${touch}()`);
    }
  };
};
