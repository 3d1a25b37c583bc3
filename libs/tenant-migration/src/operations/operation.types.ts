/** The operation model: every long task, whoever asked and wherever it runs. */

export const OPERATION_KINDS = [
  'migrate',
  'dry-run',
  'validate',
  'check',
  'report',
  'backup',
  'backup-postgres',
  'backup-verify',
  'restore',
  'restore-postgres',
  'cleanup',
  'sync-drifted',
  'sync-pending',
  'self-test',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATUSES = [
  'queued',
  'running',
  'pausing',
  'paused',
  'cancelling',
  'cancelled',
  'succeeded',
  'failed',
  'interrupted',
] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** Statuses no worker acts on any more: the operation's event stream ends at one of these. */
export const SETTLED_STATUSES: ReadonlySet<OperationStatus> = new Set([
  'paused',
  'cancelled',
  'succeeded',
  'failed',
  'interrupted',
]);

/** Where an operation's task is: done out of total (null while unknown), with its counts. */
/** What an operation's progress counts: Redis keys, or a backup's entries. */
export type ProgressUnit = 'keys' | 'entries';

export interface OperationProgress {
  phase: string;
  /** What `done` and `total` count. */
  unit: ProgressUnit;
  done: number;
  total: number | null;
  counts: Record<string, number>;
  /** Items a second since this execution started. */
  rate: number | null;
  etaSeconds: number | null;
}

/** Why an operation failed: the domain error's code, kind and message (never a stack). */
export interface OperationError {
  code: string;
  kind: string;
  message: string;
  context?: Record<string, unknown>;
}

/** The parameters an operation was started with (validated for its kind; never secrets). */
export type OperationParams = Record<string, string | number | boolean>;

export interface Operation {
  id: string;
  kind: OperationKind;
  params: OperationParams;
  actor: string | null;
  status: OperationStatus;
  progress: OperationProgress | null;
  result: Record<string, unknown> | null;
  error: OperationError | null;
  /** The migration run it works on (migrate), once recorded. */
  runId: string | null;
  /** What it holds exclusively while active (`tenants`), or null. */
  exclusiveScope: string | null;
  /** The process running it: `<host>:<pid>`. */
  worker: string | null;
  /** How many times a worker started it (resumes included). */
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  updatedAt: Date;
}

export type OperationEventType = 'status' | 'progress' | 'run' | 'result';

/** One event of an operation's stream; `id` is its `Last-Event-ID`. */
export interface OperationEvent {
  id: string;
  operationId: string;
  type: OperationEventType;
  data: Record<string, unknown>;
  at: Date;
}

export interface OperationFilters {
  kind?: OperationKind;
  status?: OperationStatus;
}

export interface OperationPage {
  operations: Operation[];
  /** Operations matching the filters, all pages together. */
  total: number;
  /** Of the matching operations, how many have each status. */
  byStatus: Partial<Record<OperationStatus, number>>;
  offset: number;
  limit: number;
}

/**
 * The kinds a schedule can start: they take no parameters and hold nothing exclusively, so a
 * tick never waits for, or refuses, another operation.
 */
export const SCHEDULE_KINDS = ['check', 'sync-pending'] as const satisfies readonly OperationKind[];
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** An operation started on a clock: each tick of `cron` (in `tz`, default UTC) starts one. */
export interface OperationSchedule {
  kind: ScheduleKind;
  /** Five fields: minute hour day-of-month month day-of-week, e.g. `0 3 * * *` (every day at 03:00). */
  cron: string;
  /** The IANA time zone the expression is read in. Default `UTC`. */
  tz?: string;
}

/** How operations run in this process (the module's `operations.mode`). */
export type OperationsMode = 'worker' | 'enqueue' | 'client';

export interface OperationsSettings {
  /**
   * `worker`: run queued operations here (and sweep stale ones); `enqueue`: only queue them
   * (workers elsewhere run them) and sweep; `client`: queue on demand, run nothing, sweep
   * nothing (the CLI, a host that only reads).
   */
  mode: OperationsMode;
  /** How often a running operation's worker beats and reads its control requests. */
  heartbeatMs: number;
  /** An active operation without a heartbeat for this long is marked `interrupted`. */
  staleMs: number;
  /** Operations a worker process runs at once. */
  concurrency: number;
  /** The PostgreSQL schema of the job queue's tables. */
  queueSchema: string;
  /**
   * Operations started on a clock, at most one per kind. A `worker` or `enqueue` process makes
   * the queue's schedules these at start-up (removing those no longer listed) and runs the
   * clock; a `worker` starts each tick's operation. Every such process of one operations
   * table should list the same ones: the last to start decides.
   */
  schedules: OperationSchedule[];
}
