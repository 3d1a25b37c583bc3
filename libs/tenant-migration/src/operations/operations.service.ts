import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import {
  OperationConflictError,
  OperationNotFoundError,
  OperationStateError,
} from '../errors/index.js';
import { checkOperationParams, OPERATION_KIND_SPECS } from './operation-kinds.js';
import { OperationExecutor } from './operation-executor.js';
import { recordedFailure } from './operation-error.js';
import { OperationQueue } from './operation-queue.js';
import { type OperationCount, OperationsRepository } from './operations.repository.js';
import {
  type Operation,
  type OperationEvent,
  type OperationFilters,
  type OperationKind,
  type OperationPage,
  type OperationParams,
  type OperationStatus,
  SETTLED_STATUSES,
} from './operation.types.js';

export interface StartOperation {
  kind: OperationKind;
  params?: OperationParams;
  actor?: string | null;
}

/** How often an event stream or a waiting caller looks for news. */
const POLL_MS = 200;
/** Events an event stream reads per query. */
const EVENT_PAGE = 500;

const describe = (operation: Operation) => `${operation.kind} operation ${operation.id}`;

/**
 * Operations: starts them (recorded, then queued for a worker), lists and reads them, passes
 * on cancel, pause and resume, and follows their events. What a kind takes, holds and obeys
 * is the kind table's (`OPERATION_KIND_SPECS`).
 */
@Injectable()
export class OperationsService {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly operations: OperationsRepository,
    private readonly queue: OperationQueue,
    private readonly executor: OperationExecutor,
  ) {}

  /**
   * Records and queues an operation. An exclusive one whose scope another operation holds is
   * refused (OperationConflictError naming the holder); parameters the kind does not take are
   * refused (InvalidOptionError).
   */
  async start(request: StartOperation): Promise<Operation> {
    const params = checkOperationParams(request.kind, request.params ?? {});
    const spec = OPERATION_KIND_SPECS[request.kind];
    const recorded = await this.operations.insert({
      id: randomUUID(),
      kind: request.kind,
      params,
      actor: request.actor ?? null,
      exclusiveScope: spec.exclusive(params),
    });
    if ('heldBy' in recorded) throw conflict(request.kind, recorded.heldBy);
    await this.enqueue(recorded.operation);
    return recorded.operation;
  }

  /** Sends the operation's job; an operation whose job cannot be queued fails at once. */
  private async enqueue(operation: Operation): Promise<void> {
    try {
      await this.operations.setJob(operation.id, await this.queue.send(operation.id));
    } catch (error) {
      await this.operations
        .transition(operation.id, ['queued'], 'failed', { finished: true })
        .catch(() => undefined);
      throw error;
    }
  }

  async get(id: string): Promise<Operation> {
    const operation = await this.operations.get(id);
    if (!operation) throw new OperationNotFoundError(`no operation ${id}`, { operationId: id });
    return operation;
  }

  async list(filters: OperationFilters, offset: number, limit: number): Promise<OperationPage> {
    const page = await this.operations.page(filters, offset, limit);
    return { ...page, offset, limit };
  }

  /** How many operations there are of each kind and status (for metrics). */
  counts(): Promise<OperationCount[]> {
    return this.operations.countByKindAndStatus();
  }

  /**
   * The operations being executed now: running, or stopping at their next batch boundary
   * (pausing, cancelling). Their progress is the latest their worker recorded.
   */
  executing(): Promise<Operation[]> {
    return this.operations.executing();
  }

  /**
   * Cancels the operation: a queued, paused or interrupted one at once; a running one stops at
   * its next batch boundary (`cancelling`, then `cancelled` with what it did recorded).
   */
  async cancel(id: string): Promise<Operation> {
    const operation = await this.get(id);
    if (['queued', 'paused', 'interrupted'].includes(operation.status)) {
      const cancelled = await this.move(
        operation,
        ['queued', 'paused', 'interrupted'],
        'cancelled',
        'cancelled',
      );
      await this.executor.discardCheckpoint(cancelled);
      return cancelled;
    }
    if (!OPERATION_KIND_SPECS[operation.kind].cancellable)
      throw refused(operation, 'cancelled while it runs; it ends by itself');
    const moved = await this.move(operation, ['running', 'pausing'], 'cancelling', 'cancelled');
    this.executor.stopHere(id, 'cancel');
    return moved;
  }

  /** Pauses a running operation at its next batch boundary; its checkpoint is kept for resume. */
  async pause(id: string): Promise<Operation> {
    const operation = await this.get(id);
    if (!OPERATION_KIND_SPECS[operation.kind].pausable)
      throw refused(operation, `paused (a ${operation.kind} cannot stop midway)`);
    const moved = await this.move(operation, ['running'], 'pausing', 'paused');
    this.executor.stopHere(id, 'pause');
    return moved;
  }

  /**
   * Queues a paused or interrupted operation again (a failed migration too: its run resumes
   * from its checkpoint). A migration continues its run exactly; other kinds start over.
   */
  async resume(id: string): Promise<Operation> {
    const operation = await this.get(id);
    const from: OperationStatus[] =
      OPERATION_KIND_SPECS[operation.kind].pausable === 'continues'
        ? ['paused', 'interrupted', 'failed']
        : ['paused', 'interrupted'];
    const moved = await this.operations.transition(id, from, 'queued', { clearError: true });
    if ('heldBy' in moved) throw conflict(operation.kind, moved.heldBy);
    if (!moved.operation) throw refused(await this.get(id), 'resumed');
    await this.enqueue(moved.operation);
    return moved.operation;
  }

  private async move(
    operation: Operation,
    from: OperationStatus[],
    to: OperationStatus,
    done: string,
  ): Promise<Operation> {
    const moved = await this.operations.transition(operation.id, from, to, {
      finished: SETTLED_STATUSES.has(to),
    });
    if ('heldBy' in moved) throw conflict(operation.kind, moved.heldBy);
    // It moved on meanwhile (finished, or another request changed it): say what it is now.
    if (!moved.operation) throw refused(await this.get(operation.id), done);
    return moved.operation;
  }

  /**
   * The operation's events after `afterEventId` (all with '0'), as they are recorded, until it
   * settles (succeeds, fails, is cancelled, paused or interrupted) and its last event is read,
   * or `signal` is aborted (the client went away).
   */
  async *events(
    id: string,
    afterEventId: string,
    signal: AbortSignal,
  ): AsyncGenerator<OperationEvent> {
    let after = afterEventId;
    while (!signal.aborted) {
      // The status is read before the events: every status change appends its event in the
      // same statement, so a settled status's event is among those read next.
      const settled = SETTLED_STATUSES.has((await this.get(id)).status);
      let events: OperationEvent[];
      do {
        events = await this.operations.eventsAfter(id, after, EVENT_PAGE);
        for (const event of events) {
          after = event.id;
          yield event;
        }
      } while (events.length === EVENT_PAGE && !signal.aborted);
      if (settled) return;
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Starts a migration operation and waits until it has recorded its run (or settled, or
   * `timeoutMs` passed): for the `?action=migrate` route, which answers with the run. A
   * failure is thrown as the operation recorded it (a migration lock held elsewhere stays a 409).
   */
  async startMigration(
    params: OperationParams,
    actor: string | null,
    timeoutMs: number,
  ): Promise<{ operation: Operation; resumed: boolean }> {
    const { id } = await this.start({ kind: 'migrate', params, actor });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const operation = await this.get(id);
      if (operation.runId || SETTLED_STATUSES.has(operation.status) || Date.now() >= deadline) {
        if (operation.status === 'failed' && operation.error)
          throw recordedFailure(operation.id, operation.error);
        const run = await this.operations.lastRunEvent(id);
        return { operation, resumed: run?.resumed ?? false };
      }
      await sleep(POLL_MS / 4);
    }
  }

  /**
   * Whether a reconnecting event stream has nothing left to hear: the operation is settled and
   * has no event after the client's last one (the route then answers 204, which ends an
   * `EventSource`'s reconnecting).
   */
  async streamOver(id: string, afterEventId: string): Promise<boolean> {
    const operation = await this.get(id);
    return (
      SETTLED_STATUSES.has(operation.status) &&
      (await this.operations.eventsAfter(id, afterEventId, 1)).length === 0
    );
  }

  /** Marks interrupted the active operations whose worker stopped beating; answers their ids. */
  interruptStale(): Promise<string[]> {
    return this.operations.interruptStale(this.options.operations.staleMs);
  }
}

const conflict = (kind: OperationKind, heldBy: string | null): OperationConflictError =>
  new OperationConflictError(
    `cannot start ${kind}: operation ${heldBy ?? '(just finished)'} holds the tenants tables; wait for it, or cancel it`,
    heldBy ?? '',
    { kind },
  );

const refused = (operation: Operation, verb: string): OperationStateError =>
  new OperationStateError(
    `${describe(operation)} has status ${operation.status}: it cannot be ${verb}`,
    {
      operationId: operation.id,
      status: operation.status,
    },
  );
