import type { ConfigService } from '@nestjs/config';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { EnvironmentVariables } from '../../shared/environment.js';

/** The limit's settings, from ADMIN_RATE_LIMIT and ADMIN_RATE_WINDOW_MS. */
export interface AdminRateLimit {
  /** Requests one client may send per window; 0 turns the limit off. */
  limit: number;
  /** The window, in milliseconds. */
  windowMs: number;
}

/** The one-line detail of the 429 problem document. */
export const tooManyRequestsDetail = (
  { limit, windowMs }: AdminRateLimit,
  retryAfterSeconds: number,
): string =>
  `too many requests: at most ${limit} per ${windowMs} ms from one client; ` +
  `retry after ${retryAfterSeconds} s`;

/**
 * The admin API's rate limit (`@nestjs/throttler`, in memory): each client, by IP address, may
 * send `limit` requests per window to all admin routes together, then is answered 429 with
 * `Retry-After` (seconds) for one window. The throttler's key ignores the route, so a client
 * cannot spread a flood over the routes. Its guard runs before the token guard and before any
 * handler, so a refused request never reaches a store, authenticated or not.
 */
export const adminRateLimitOptions = (settings: AdminRateLimit): ThrottlerModuleOptions => ({
  // The unnamed throttler: a named one would suffix its headers (`Retry-After-admin`).
  throttlers: [{ limit: settings.limit, ttl: settings.windowMs }],
  skipIf: () => settings.limit === 0,
  generateKey: (_context, tracker, name) => `admin-api:${name}:${tracker}`,
  errorMessage: (_context, detail) => tooManyRequestsDetail(settings, detail.timeToBlockExpire),
});

export const adminRateLimitFrom = (
  config: ConfigService<EnvironmentVariables, true>,
): ThrottlerModuleOptions =>
  adminRateLimitOptions({
    limit: config.get('ADMIN_RATE_LIMIT', { infer: true }),
    windowMs: config.get('ADMIN_RATE_WINDOW_MS', { infer: true }),
  });
