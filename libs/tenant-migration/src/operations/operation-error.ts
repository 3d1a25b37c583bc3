import type { OperationStoppedError } from '../errors/index.js';
import { storeOutageOf, TenantMigrationError, type ErrorKind } from '../errors/index.js';
import type { OperationError, OperationStatus } from './operation.types.js';

/** The status an execution stopped on request ends in. */
export const STOPPED_STATUS = {
  cancel: 'cancelled',
  pause: 'paused',
  shutdown: 'interrupted',
} as const satisfies Record<OperationStoppedError['reason'], OperationStatus>;

/**
 * What an operation records of the error it ended on: a domain error's code, kind, message and
 * context; a store that went away as `store-unavailable`; anything else as `internal`, without
 * its details (the worker's log has them), as the admin API answers a 500.
 */
export const operationErrorOf = (error: unknown): OperationError => {
  const domain = error instanceof TenantMigrationError ? error : storeOutageOf(error);
  if (domain)
    return {
      code: domain.code,
      kind: domain.kind,
      message: domain.message,
      context: { ...domain.context },
    };
  return { code: 'internal', kind: 'internal', message: 'internal error; see the worker log' };
};

const ERROR_KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  'invalid-input',
  'invalid-data',
  'not-found',
  'conflict',
  'unavailable',
  'internal',
]);

/**
 * The recorded failure of an operation, thrown again where a caller waits for it (the
 * `?action=migrate` route): the same code, kind (so the same HTTP status) and message.
 */
export class OperationFailedError extends TenantMigrationError {
  readonly code: string;
  readonly kind: ErrorKind;

  constructor(
    readonly operationId: string,
    recorded: OperationError,
  ) {
    super(recorded.message, { ...recorded.context, operationId });
    this.code = recorded.code;
    this.kind = ERROR_KINDS.has(recorded.kind) ? (recorded.kind as ErrorKind) : 'internal';
  }
}

/**
 * The error a caller waiting for the operation gets: its recorded failure, or, for an internal
 * one (recorded without its details), a plain error the HTTP layer answers as a bare 500.
 */
export const recordedFailure = (operationId: string, recorded: OperationError): Error =>
  recorded.code === 'internal'
    ? new Error(`operation ${operationId} failed on an internal error`)
    : new OperationFailedError(operationId, recorded);
