import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createSchemasOf, type TableNames, unqualified } from '../table-names.js';

/** The statuses in which an operation holds what it is exclusive on. */
export const HOLDING_STATUSES = ['queued', 'running', 'pausing', 'paused', 'cancelling'];

/**
 * Long tasks as durable operations (run as pg-boss jobs): one row per operation, and the events
 * it reported, in order, for its server-sent event stream (`Last-Event-ID` is an event's id).
 *
 * `exclusive_scope` names what an exclusive operation (migrate, restore, restore-postgres,
 * cleanup) works on; the partial unique index lets one operation at a time hold a scope while
 * it is queued, running, pausing, paused or cancelling, so a second one is refused by the
 * database itself, whatever process asks.
 */
export const operations = ({ operations: table, operationEvents: events }: TableNames) => {
  const stem = unqualified(table);
  const eventsStem = unqualified(events);
  const holding = HOLDING_STATUSES.map((s) => `'${s}'`).join(', ');
  return class Operations1764500000000 implements MigrationInterface {
    name = 'Operations1764500000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await createSchemasOf(queryRunner, [table, events]);
      await queryRunner.query(`
        CREATE TABLE ${table} (
          id uuid PRIMARY KEY,
          kind text NOT NULL,
          params jsonb NOT NULL,
          actor text,
          status text NOT NULL,
          progress jsonb,
          result jsonb,
          error jsonb,
          run_id uuid,
          exclusive_scope text,
          worker text,
          job_id text,
          attempts integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          started_at timestamptz,
          finished_at timestamptz,
          heartbeat_at timestamptz,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(
        `CREATE UNIQUE INDEX ${stem}_exclusive_idx ON ${table} (exclusive_scope)
          WHERE exclusive_scope IS NOT NULL AND status IN (${holding})`,
      );
      await queryRunner.query(`CREATE INDEX ${stem}_created_idx ON ${table} (created_at, id)`);
      await queryRunner.query(`CREATE INDEX ${stem}_status_idx ON ${table} (status, kind)`);
      await queryRunner.query(`
        CREATE TABLE ${events} (
          id bigserial PRIMARY KEY,
          operation_id uuid NOT NULL REFERENCES ${table} (id) ON DELETE CASCADE,
          type text NOT NULL,
          data jsonb NOT NULL,
          at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(
        `CREATE INDEX ${eventsStem}_operation_idx ON ${events} (operation_id, id)`,
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${events}`);
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  };
};
