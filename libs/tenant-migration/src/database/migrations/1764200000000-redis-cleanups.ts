import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, type TableNames, unqualified } from '../table-names.js';

/** The ledger of Redis keys deleted by cleanup, so later checks know them as cleaned up. */
export const redisCleanups = ({ redisCleanups: cleanups, backups }: TableNames) =>
  class RedisCleanups1764200000000 implements MigrationInterface {
    name = 'RedisCleanups1764200000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [cleanups]);
      await queryRunner.query(`
        CREATE TABLE ${cleanups} (
          id bigserial PRIMARY KEY,
          key text NOT NULL,
          subdomain text NOT NULL,
          source_hash text NOT NULL,
          backup_id uuid NOT NULL REFERENCES ${backups} (id),
          deleted_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(
        `CREATE INDEX ${unqualified(cleanups)}_subdomain_idx ON ${cleanups} (subdomain)`,
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${cleanups}`);
    }
  };
