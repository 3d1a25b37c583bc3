import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDocumentResponse } from './admin-api.responses.js';

/** What each error status of the admin API means, for its OpenAPI document. */
const PROBLEMS: Record<number, string> = {
  400: 'Invalid request (unknown property, bad value, id not a UUID).',
  401: 'Missing or wrong bearer token.',
  404: 'Unknown run or tenant.',
  409: 'Refused: a migration holds the lock, a concurrent change, or a refused cleanup.',
  415: 'A body that is not JSON.',
  429: 'Over the rate limit (`Retry-After`).',
  503: 'A store is unreachable or the schema is missing.',
};

/**
 * Documents the problem documents (RFC 9457) a route or controller answers: by default those
 * every admin route can answer.
 */
export const ApiProblemResponses = (
  statuses: readonly number[] = [400, 401, 429, 503],
): ClassDecorator & MethodDecorator =>
  applyDecorators(
    ApiExtraModels(ProblemDocumentResponse),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEMS[status] ?? 'A problem document.',
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDocumentResponse) } },
        },
      }),
    ),
  );
