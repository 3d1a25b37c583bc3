import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { TableNames } from '../table-names.js';

/**
 * Where a stopped execution of an operation left off, for the kinds that continue exactly on
 * resume without a run ledger of their own (a Redis backup: its partial file, its SCAN cursor
 * and the server that issued it). Written with the execution's outcome; cleared when an
 * execution ends for good.
 */
export const operationCheckpoints = ({ operations: table }: TableNames) =>
  class OperationCheckpoints1764600000000 implements MigrationInterface {
    name = 'OperationCheckpoints1764600000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN checkpoint jsonb`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN checkpoint`);
    }
  };
