/**
 * Base of every domain error the library throws. Errors carry a stable `code` and a
 * context object (never secrets); the HTTP filter and the CLI map them to statuses and exit
 * codes, so library code never throws transport-specific exceptions.
 */
/** `invalid-data`: stored data (not the caller's input) breaks the rules. */
export type ErrorKind =
  'invalid-input' | 'invalid-data' | 'not-found' | 'conflict' | 'unavailable' | 'internal';

export abstract class TenantMigrationError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /**
   * Members the HTTP problem document carries besides the standard ones (RFC 9457 extension
   * members), for a client to act on: e.g. the id of the operation that holds a lock. None by
   * default; never secrets.
   */
  problemMembers(): Readonly<Record<string, unknown>> {
    return {};
  }
}
