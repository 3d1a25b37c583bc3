import { type CanActivate, type ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether a request carries `Authorization: Bearer <token>`, compared in constant time (both
 * sides hashed first, so their lengths do not show either). The scheme is case-insensitive
 * (RFC 7235); the token itself is compared exactly.
 */
export const bearerTokenCheck = (token: string): ((request: Request) => boolean) => {
  const expected = digest(token);
  return (request) => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]), expected);
  };
};

/**
 * A guard that lets through only requests with the given bearer token. A subclass names the
 * token (never empty: a route behind it never runs unauthenticated) and what a refused request
 * is told.
 */
export abstract class BearerTokenGuard implements CanActivate {
  private readonly matches: (request: Request) => boolean;

  protected constructor(
    token: string | undefined,
    unset: string,
    private readonly refusal: string,
  ) {
    if (!token) throw new Error(unset);
    this.matches = bearerTokenCheck(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.matches(context.switchToHttp().getRequest<Request>())) {
      throw new UnauthorizedException(this.refusal);
    }
    return true;
  }
}
