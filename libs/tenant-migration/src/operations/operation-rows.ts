/** The operations table's and the event log's rows as PostgreSQL returns them, and their mapping. */
import type {
  Operation,
  OperationError,
  OperationEvent,
  OperationEventType,
  OperationKind,
  OperationParams,
  OperationProgress,
  OperationStatus,
} from './operation.types.js';

/** An operation's row as PostgreSQL returns it. */
export interface OperationRow {
  id: string;
  kind: OperationKind;
  params: OperationParams;
  actor: string | null;
  status: OperationStatus;
  progress: OperationProgress | null;
  result: Record<string, unknown> | null;
  error: OperationError | null;
  run_id: string | null;
  exclusive_scope: string | null;
  worker: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  updated_at: Date;
}

export interface EventRow {
  id: string;
  operation_id: string;
  type: OperationEventType;
  data: Record<string, unknown>;
  at: Date;
}

export const toOperation = (row: OperationRow): Operation => ({
  id: row.id,
  kind: row.kind,
  params: row.params,
  actor: row.actor,
  status: row.status,
  progress: row.progress,
  result: row.result,
  error: row.error,
  runId: row.run_id,
  exclusiveScope: row.exclusive_scope,
  worker: row.worker,
  attempts: row.attempts,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  heartbeatAt: row.heartbeat_at,
  updatedAt: row.updated_at,
});

export const toEvent = (row: EventRow): OperationEvent => ({
  id: row.id,
  operationId: row.operation_id,
  type: row.type,
  data: row.data,
  at: row.at,
});
