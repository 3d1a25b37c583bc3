/**
 * Typed JSON bodies of supertest responses. supertest types `res.body` as `any`; a spec names
 * the shape it expects once per response, and its assertions then check that shape.
 */
import type { Response } from 'supertest';

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
