/**
 * Typed JSON bodies of supertest responses. supertest types `res.body` as `any`; a spec names
 * the shape it expects once per response, and its assertions then check that shape.
 */
import type { Response } from 'supertest';
import type { Problem } from './problem.js';

/** The response's parsed JSON body, as the shape `T` the test asserts on. */
export const bodyOf = <T>(res: Response): T => res.body as T;

/** The body of `POST {action: 'migrate'}` (and the other background actions): 202 with the run. */
export interface RunStartedBody {
  runId: string;
  resumed: boolean;
  status: string;
}

/** The members of a run (`GET .../runs/:id`) the specs read. */
export interface RunBody {
  id: string;
  status: string;
  error: string | null;
}

/** An error answer: an RFC 9457 problem document with the legacy members. */
export type ProblemBody = Problem;

/** A domain error's answer: its legacy `message` is one string (a validation 400's is a list). */
export type DomainProblemBody = Problem & { message: string };

/** `GET /health`. */
export interface HealthBody {
  status: 'ok' | 'error';
  postgres: 'up' | 'down';
  redis: 'up' | 'down';
}

/** A page of a run's exceptions (`GET .../runs/:id/exceptions`). */
export interface ExceptionsPageBody {
  limit: number;
  offset: number;
  exceptions: unknown[];
}

/** The members of a validation report (`POST {action: 'validate'}`) the specs read. */
export interface ValidationBody {
  scanned: number;
}

/** The members of `GET ?action=status` the specs read. */
export interface StatusBody {
  lastRun: RunBody | null;
}

/** An error answer's legacy `message` as one string: a validation 400's list joined by "; ". */
export const messageOf = (res: Response): string => {
  const { message } = bodyOf<ProblemBody>(res);
  return Array.isArray(message) ? message.join('; ') : message;
};
