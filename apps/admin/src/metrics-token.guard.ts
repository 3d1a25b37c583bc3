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

/**
 * Bearer-token authentication for `GET /metrics`: METRICS_TOKEN, or ADMIN_TOKEN when it is
 * unset, so a scraper can be given a token that opens nothing else. Like the admin API, the
 * metrics are never served unauthenticated: with neither token the app does not start.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly matches: (request: Request) => boolean;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    const token =
      config.get('METRICS_TOKEN', { infer: true }) ?? config.get('ADMIN_TOKEN', { infer: true });
    if (!token) {
      throw new Error('neither METRICS_TOKEN nor ADMIN_TOKEN is set: /metrics is never open');
    }
    this.matches = bearerTokenCheck(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.matches(context.switchToHttp().getRequest<Request>())) {
      throw new UnauthorizedException('a valid metrics bearer token is required');
    }
    return true;
  }
}
