import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

/**
 * Marks a route whose POST takes no body (cancel, pause, resume): it may come without one, and
 * without a content type; a body it does come with must still be JSON.
 */
export const BODILESS_ROUTE = 'tenant-migrate:bodiless-route';

/** Methods whose body the admin API reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The admin API takes JSON only: a request that may carry a body and is not
 * `Content-Type: application/json` is a 415. Without this, the host's form parser fills the body
 * from `action=dry-run` and the action runs, though no client of this API sends forms (and a
 * cross-site HTML form could). Runs after the guard, so an unauthenticated request is still a
 * 401, and before validation, so the body is never read as anything else.
 */
@Injectable()
export class JsonOnlyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const type = request.is('application/json');
    // `is` answers null for a request without a body; an empty one may still say its length.
    const empty = type === null || request.headers['content-length'] === '0';
    const bodiless =
      empty &&
      request.headers['content-type'] === undefined &&
      this.reflector.get<boolean>(BODILESS_ROUTE, context.getHandler());
    if (BODY_METHODS.has(request.method) && type !== 'application/json' && !bodiless) {
      throw new UnsupportedMediaTypeException(
        'the admin API accepts JSON only: send Content-Type: application/json',
      );
    }
    return next.handle();
  }
}
