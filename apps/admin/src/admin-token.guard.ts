import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { EnvironmentVariables } from '../../shared/environment.js';
import { bearerTokenCheck } from './bearer-token.js';

/** Bearer-token authentication for the admin API (constant-time comparison). */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly matches: (request: Request) => boolean;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    const token = config.get('ADMIN_TOKEN', { infer: true });
    if (!token) throw new Error('ADMIN_TOKEN is not set: the admin API never runs unauthenticated');
    this.matches = bearerTokenCheck(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.matches(context.switchToHttp().getRequest<Request>())) {
      throw new UnauthorizedException('a valid admin bearer token is required');
    }
    return true;
  }
}
