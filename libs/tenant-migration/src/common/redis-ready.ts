import type { Redis } from 'ioredis';
import { withTimeout } from './with-timeout.js';

/**
 * Waits for the client's connection: ready, or its first error (say ECONNREFUSED), without
 * waiting out its reconnection attempts. A client that has not started connecting
 * (`lazyConnect`) is connected now; one that has closed resolves at once (its next command
 * fails by itself).
 */
export const redisReady = (redis: Redis, timeoutMs: number): Promise<void> => {
  const { status } = redis;
  if (status === 'ready' || status === 'end' || status === 'close') return Promise.resolve();
  let onReady: () => void = () => undefined;
  let onError: (error: Error) => void = () => undefined;
  const connected = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onError = reject;
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
  // connect() rejects with a bare "Connection is closed"; the cause arrives as the 'error' event.
  if (status === 'wait') redis.connect().catch(() => undefined);
  return withTimeout(connected, timeoutMs, 'Redis').finally(() => {
    redis.off('ready', onReady);
    redis.off('error', onError);
  });
};
