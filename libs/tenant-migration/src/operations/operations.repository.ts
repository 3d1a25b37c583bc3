import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { HOLDING_STATUSES } from '../database/migrations/1764500000000-operations.js';
import { type EventRow, type OperationRow, toEvent, toOperation } from './operation-rows.js';
import type {
  Operation,
  OperationError,
  OperationEvent,
  OperationFilters,
  OperationKind,
  OperationParams,
  OperationProgress,
  OperationStatus,
} from './operation.types.js';

/** What a new operation is recorded with. */
export interface NewOperation {
  id: string;
  kind: OperationKind;
  params: OperationParams;
  actor: string | null;
  exclusiveScope: string | null;
}

/** How an operation ends (or stops) an execution. */
export interface OperationOutcome {
  status: OperationStatus;
  result?: object | null;
  error?: OperationError | null;
  progress?: OperationProgress | null;
  /** Where the execution left off, for the next one (see OperationStoppedError); null clears it. */
  checkpoint?: object | null;
}

/** How many operations of one kind have one status. */
export interface OperationCount {
  kind: OperationKind;
  status: OperationStatus;
  count: number;
}

/** The statuses of an operation a worker is executing (a stop request included). */
const EXECUTING_STATUSES: readonly OperationStatus[] = ['running', 'pausing', 'cancelling'];

/** Anything that runs a query: the pool (DataSource) or one transaction's client. */
interface Queryable {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

/** The status event every change of status appends, in the statement that changes it. */
const STATUS_EVENT = (events: string, changed: string): string => `
  INSERT INTO ${events} (operation_id, type, data)
  SELECT id, 'status', jsonb_build_object('status', status, 'error', error) FROM ${changed}`;

/**
 * The operations table and its event log. Every change of an operation's status appends its
 * `status` event in the same statement, so the event stream never misses or invents one.
 */
@Injectable()
export class OperationsRepository {
  private readonly table: string;
  private readonly events: string;

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
  ) {
    this.table = options.tables.operations;
    this.events = options.tables.operationEvents;
  }

  /** Runs a statement that changes rows (CTE `changed`) and appends their status events. */
  private async changeStatus(
    db: Queryable,
    update: string,
    values: unknown[],
  ): Promise<Operation[]> {
    const rows = (await db.query(
      `WITH changed AS (${update} RETURNING *),
            logged AS (${STATUS_EVENT(this.events, 'changed')})
       SELECT * FROM changed`,
      values,
    )) as OperationRow[];
    return rows.map(toOperation);
  }

  /**
   * Records a queued operation. When its exclusive scope is held, nothing is recorded and the
   * holder's id is returned instead (the partial unique index decides, whatever process asks).
   */
  async insert(
    operation: NewOperation,
  ): Promise<{ operation: Operation } | { heldBy: string | null }> {
    try {
      const [row] = await this.changeStatus(
        this.dataSource,
        `INSERT INTO ${this.table} (id, kind, params, actor, status, exclusive_scope)
         VALUES ($1, $2, $3, $4, 'queued', $5)`,
        [
          operation.id,
          operation.kind,
          JSON.stringify(operation.params),
          operation.actor,
          operation.exclusiveScope,
        ],
      );
      return { operation: row };
    } catch (error) {
      if (!isExclusiveViolation(error)) throw error;
      return { heldBy: await this.holderOf(operation.exclusiveScope ?? '') };
    }
  }

  /** The operation that holds the scope now, if any. */
  async holderOf(scope: string): Promise<string | null> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM ${this.table} WHERE exclusive_scope = $1 AND status = ANY($2) LIMIT 1`,
      [scope, HOLDING_STATUSES],
    );
    return rows[0]?.id ?? null;
  }

  async setJob(id: string, jobId: string): Promise<void> {
    await this.dataSource.query(`UPDATE ${this.table} SET job_id = $2 WHERE id = $1`, [id, jobId]);
  }

  async get(id: string): Promise<Operation | null> {
    const rows = await this.dataSource.query<OperationRow[]>(
      `SELECT * FROM ${this.table} WHERE id = $1`,
      [id],
    );
    return rows[0] ? toOperation(rows[0]) : null;
  }

  /** A page of operations, newest first, with the total and the count of each status. */
  async page(
    filters: OperationFilters,
    offset: number,
    limit: number,
  ): Promise<{ operations: Operation[]; total: number; byStatus: Record<string, number> }> {
    const where = `($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)`;
    const values = [filters.kind ?? null, filters.status ?? null];
    const rows = await this.dataSource.query<OperationRow[]>(
      `SELECT * FROM ${this.table} WHERE ${where}
        ORDER BY created_at DESC, id DESC OFFSET $3 LIMIT $4`,
      [...values, offset, limit],
    );
    const counts = await this.dataSource.query<{ status: string; n: number }[]>(
      `SELECT status, count(*)::int AS n FROM ${this.table} WHERE ${where} GROUP BY status`,
      values,
    );
    const byStatus = Object.fromEntries(counts.map((c) => [c.status, c.n]));
    const total = counts.reduce((sum, c) => sum + c.n, 0);
    return { operations: rows.map(toOperation), total, byStatus };
  }

  /** How many operations there are of each kind and status (pairs with none left out). */
  async countByKindAndStatus(): Promise<OperationCount[]> {
    return this.dataSource.query<OperationCount[]>(
      `SELECT kind, status, count(*)::int AS count FROM ${this.table} GROUP BY kind, status`,
    );
  }

  /** The operations a worker is executing now, oldest first. */
  async executing(): Promise<Operation[]> {
    const rows = await this.dataSource.query<OperationRow[]>(
      `SELECT * FROM ${this.table} WHERE status = ANY($1) ORDER BY created_at, id`,
      [EXECUTING_STATUSES],
    );
    return rows.map(toOperation);
  }

  /**
   * Moves the operation from one of `from` to `to` (a control request, a claim, a resume);
   * null when it is not in one of `from` (or does not exist). A move into a holding status of
   * an exclusive operation whose scope another holds fails with the holder's id.
   */
  async transition(
    id: string,
    from: readonly OperationStatus[],
    to: OperationStatus,
    extra: { worker?: string; finished?: boolean; clearError?: boolean } = {},
  ): Promise<{ operation: Operation | null } | { heldBy: string | null }> {
    const sets = [`status = $3`, `updated_at = now()`];
    const values: unknown[] = [id, from, to];
    if (extra.worker !== undefined) {
      values.push(extra.worker);
      sets.push(
        `worker = $${values.length}`,
        `started_at = coalesce(started_at, now())`,
        `heartbeat_at = now()`,
        `attempts = attempts + 1`,
      );
    }
    if (extra.finished) sets.push(`finished_at = now()`);
    if (extra.clearError) sets.push(`error = NULL`, `finished_at = NULL`);
    try {
      const [row] = await this.changeStatus(
        this.dataSource,
        `UPDATE ${this.table} SET ${sets.join(', ')} WHERE id = $1 AND status = ANY($2)`,
        values,
      );
      return { operation: row ?? null };
    } catch (error) {
      if (!isExclusiveViolation(error)) throw error;
      const operation = await this.get(id);
      return { heldBy: await this.holderOf(operation?.exclusiveScope ?? '') };
    }
  }

  /**
   * The worker's heartbeat: records it (and the latest progress, as a `progress` event when
   * given) and answers the operation's status, where a control request shows (`pausing`,
   * `cancelling`).
   */
  async beat(id: string, progress: OperationProgress | null): Promise<OperationStatus | null> {
    const rows = await this.dataSource.query<{ status: OperationStatus }[]>(
      `WITH beat AS (
         UPDATE ${this.table}
            SET heartbeat_at = now(), progress = coalesce($2::jsonb, progress), updated_at = now()
          WHERE id = $1 RETURNING id, status),
       logged AS (
         INSERT INTO ${this.events} (operation_id, type, data)
         SELECT id, 'progress', $2::jsonb FROM beat WHERE $2::jsonb IS NOT NULL)
       SELECT status FROM beat`,
      [id, progress === null ? null : JSON.stringify(progress)],
    );
    return rows[0]?.status ?? null;
  }

  /** Records the migration run the operation works on, with a `run` event (and whether it resumed it). */
  async attachRun(id: string, runId: string, resumed: boolean): Promise<void> {
    await this.dataSource.query(
      `WITH attached AS (
         UPDATE ${this.table} SET run_id = $2, updated_at = now() WHERE id = $1 RETURNING id)
       INSERT INTO ${this.events} (operation_id, type, data)
       SELECT id, 'run', jsonb_build_object('runId', $2::text, 'resumed', $3::boolean) FROM attached`,
      [id, runId, resumed],
    );
  }

  /** The operation's latest `run` event: the run it works on and whether it resumed it. */
  async lastRunEvent(id: string): Promise<{ runId: string; resumed: boolean } | null> {
    const rows = await this.dataSource.query<{ data: { runId: string; resumed: boolean } }[]>(
      `SELECT data FROM ${this.events} WHERE operation_id = $1 AND type = 'run' ORDER BY id DESC LIMIT 1`,
      [id],
    );
    return rows[0]?.data ?? null;
  }

  /**
   * Ends an execution with its outcome, and its `result` event, on the given client (a
   * transaction that completes the queue's job too). A settled outcome is not overwritten.
   */
  async finish(client: PoolClient, id: string, outcome: OperationOutcome): Promise<void> {
    const values = [
      id,
      outcome.status,
      outcome.result === undefined || outcome.result === null
        ? null
        : JSON.stringify(outcome.result),
      outcome.error ? JSON.stringify(outcome.error) : null,
      outcome.progress ? JSON.stringify(outcome.progress) : null,
      outcome.checkpoint ? JSON.stringify(outcome.checkpoint) : null,
    ];
    await client.query(
      `WITH changed AS (
         UPDATE ${this.table}
            SET status = $2, result = $3::jsonb, error = $4::jsonb,
                progress = coalesce($5::jsonb, progress), checkpoint = $6::jsonb,
                finished_at = now(),
                heartbeat_at = now(), updated_at = now()
          WHERE id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')
          RETURNING *),
       logged AS (
         INSERT INTO ${this.events} (operation_id, type, data)
         SELECT id, 'result',
                jsonb_build_object('status', status, 'result', result, 'error', error)
           FROM changed)
       SELECT id FROM changed`,
      values,
    );
  }

  /**
   * Marks `interrupted` every active operation whose worker has not beaten for `staleMs`: its
   * process died or lost PostgreSQL. Returns their ids.
   */
  async interruptStale(staleMs: number): Promise<string[]> {
    const error: OperationError = {
      code: 'worker-lost',
      kind: 'unavailable',
      message: `its worker stopped beating for over ${staleMs} ms; resume it to continue`,
    };
    const changed = await this.changeStatus(
      this.dataSource,
      `UPDATE ${this.table}
          SET status = 'interrupted', error = $2::jsonb, finished_at = now(), updated_at = now()
        WHERE status IN ('running', 'pausing', 'cancelling')
          AND heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [staleMs, JSON.stringify(error)],
    );
    return changed.map((o) => o.id);
  }

  /** The checkpoints the operations of a kind keep (what their stopped executions left). */
  async checkpointsOf(kind: OperationKind): Promise<Record<string, unknown>[]> {
    const rows = await this.dataSource.query<{ checkpoint: Record<string, unknown> }[]>(
      `SELECT checkpoint FROM ${this.table} WHERE kind = $1 AND checkpoint IS NOT NULL`,
      [kind],
    );
    return rows.map((row) => row.checkpoint);
  }

  /** Where the operation's last execution left off (see OperationOutcome.checkpoint). */
  async checkpoint(id: string): Promise<Record<string, unknown> | null> {
    const rows = await this.dataSource.query<{ checkpoint: Record<string, unknown> | null }[]>(
      `SELECT checkpoint FROM ${this.table} WHERE id = $1`,
      [id],
    );
    return rows[0]?.checkpoint ?? null;
  }

  /** The operation's events after the given one, oldest first. */
  async eventsAfter(id: string, afterEventId: string, limit: number): Promise<OperationEvent[]> {
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT * FROM ${this.events} WHERE operation_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [id, afterEventId, limit],
    );
    return rows.map(toEvent);
  }
}

/** Whether a unique violation is the exclusive-scope index's. */
const isExclusiveViolation = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === '23505' &&
  typeof (error as { constraint?: unknown }).constraint === 'string' &&
  (error as { constraint: string }).constraint.endsWith('_exclusive_idx');
