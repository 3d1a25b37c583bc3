import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The ledger of Redis keys deleted by cleanup, so later checks know them as cleaned up. */
export class RedisCleanups1764200000000 implements MigrationInterface {
  name = 'RedisCleanups1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE redis_cleanups (
        id bigserial PRIMARY KEY,
        key text NOT NULL,
        subdomain text NOT NULL,
        source_hash text NOT NULL,
        backup_id uuid NOT NULL REFERENCES backups (id),
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX redis_cleanups_subdomain_idx ON redis_cleanups (subdomain)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE redis_cleanups`);
  }
}
