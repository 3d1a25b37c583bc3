import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, type TableNames } from '../table-names.js';

/**
 * The queue of Redis write-backs that failed: tenants written in PostgreSQL through
 * `TenantService` whose legacy-compatible Redis copy could not be written. `sync --pending`
 * (and `sync --all-drifted`) replays them; one row per tenant, whatever number of failures.
 */
export const redisWriteBacks = ({ redisWriteBacks: queue }: TableNames) =>
  class RedisWriteBacks1764300000000 implements MigrationInterface {
    name = 'RedisWriteBacks1764300000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [queue]);
      await queryRunner.query(`
        CREATE TABLE ${queue} (
          subdomain text PRIMARY KEY,
          key text NOT NULL,
          attempts integer NOT NULL DEFAULT 1,
          last_error text NOT NULL,
          first_failed_at timestamptz NOT NULL DEFAULT now(),
          last_failed_at timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${queue}`);
    }
  };
