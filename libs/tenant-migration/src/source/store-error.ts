import { plainStoreDetail, StoreUnavailableError } from '../errors/index.js';
import { errorMessage } from '../common/error-message.js';

/**
 * A Redis failure as callers see it: a reply error (the server refused the command) as it is;
 * anything else means Redis could not be reached, a domain error.
 */
export const asStoreError = (error: unknown): unknown => {
  if (error instanceof Error && error.name === 'ReplyError') return error;
  const detail = plainStoreDetail(errorMessage(error));
  return new StoreUnavailableError(`Redis is unavailable: ${detail}`, {}, { cause: error });
};

/**
 * Runs one Redis call. A reply error (the server refused the command) is passed on as it
 * is; anything else means Redis could not be reached, which callers see as a domain error.
 */
export const redisCall = async <T>(command: () => Promise<T>): Promise<T> => {
  try {
    return await command();
  } catch (error) {
    throw asStoreError(error);
  }
};
