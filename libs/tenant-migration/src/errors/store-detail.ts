/**
 * A store client's failure message in an operator's terms. ioredis words a request that ran
 * out of reconnection attempts as `Reached the max retries per request limit (which is 20).
 * Refer to "maxRetriesPerRequest" option for details.`: an option of a library the operator
 * never configured.
 */
export const plainStoreDetail = (message: string): string =>
  message.replace(
    /Reached the max retries per request limit \(which is (\d+)\)\. Refer to "maxRetriesPerRequest" option for details\./,
    (_match, attempts: string) =>
      `no answer after ${attempts} reconnection attempt${attempts === '1' ? '' : 's'}`,
  );
