import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request } from 'express';
import type { EnvironmentVariables } from '../../shared/environment.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Bearer-token authentication for the admin API (constant-time comparison). */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    const token = config.get('ADMIN_TOKEN', { infer: true });
    if (!token) throw new Error('ADMIN_TOKEN is not set: the admin API never runs unauthenticated');
    this.expected = digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    // The scheme is case-insensitive (RFC 7235); the token itself is compared exactly.
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), this.expected)) {
      throw new UnauthorizedException('a valid admin bearer token is required');
    }
    return true;
  }
}
