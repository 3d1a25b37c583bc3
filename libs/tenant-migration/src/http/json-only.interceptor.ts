import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

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
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (BODY_METHODS.has(request.method) && request.is('application/json') !== 'application/json') {
      throw new UnsupportedMediaTypeException(
        'the admin API accepts JSON only: send Content-Type: application/json',
      );
    }
    return next.handle();
  }
}
