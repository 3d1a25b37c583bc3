/**
 * Whether a PostgreSQL error says that the data of a statement cannot be stored (as opposed
 * to a lost connection, a lock, a missing table): SQLSTATE class 22 (data exception: bad
 * encoding, an unstorable character, a value out of range), a NOT NULL or CHECK violation,
 * or a value over a limit (an index row too large). Retrying the same data fails the same
 * way, so the writer isolates the record instead of failing the batch with it.
 */
export const isUnstorableDataError = (error: unknown): error is Error & { code: string } => {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return (
    typeof code === 'string' &&
    (code.startsWith('22') || code === '23502' || code === '23514' || code === '54000')
  );
};

/** Whether a PostgreSQL error is a unique violation (SQLSTATE 23505): the row exists already. */
export const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
