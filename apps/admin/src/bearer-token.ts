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
