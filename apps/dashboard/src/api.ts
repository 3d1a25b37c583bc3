/**
 * The admin API over fetch: the bearer token in a header (never in a URL), JSON bodies, and
 * every refusal as an ApiError that says in words what the problem document said.
 */

export const API = '/api/admin';
export const ACTIONS = `${API}/migration`;

/** A refusal or failure of the API, in words a person can act on. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ProblemDocument {
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  message?: unknown;
}

const messageOf = (status: number, problem: ProblemDocument | null): string => {
  if (problem) {
    if (Array.isArray(problem.message) && problem.message.length > 0)
      return problem.message.map(String).join('; ');
    if (typeof problem.detail === 'string' && problem.detail !== '') return problem.detail;
    if (typeof problem.title === 'string') return problem.title;
  }
  if (status === 401) return 'The admin token was refused: sign in again.';
  if (status === 429) return 'Too many requests: wait a moment and try again.';
  return `The server answered ${status}.`;
};

const problemOf = async (response: Response): Promise<ProblemDocument | null> => {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? body : null;
  } catch {
    return null;
  }
};

export type Query = Record<string, string | number | boolean | undefined>;

export const withQuery = (path: string, query: Query = {}): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
};

export class ApiClient {
  constructor(
    private readonly token: string,
    /** Called when the token is refused (401): the session ends. */
    private readonly onRefused: () => void,
  ) {}

  /** A request with the token; answers the raw response once it is not a refusal. */
  async request(
    path: string,
    init: RequestInit & { signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.token}`);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    let response: Response;
    try {
      response = await fetch(path, { ...init, headers, cache: 'no-store' });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError('The admin app does not answer: is it running?', 0, null);
    }
    if (response.ok || response.status === 204) return response;
    const problem = await problemOf(response);
    if (response.status === 401) this.onRefused();
    throw new ApiError(
      messageOf(response.status, problem),
      response.status,
      typeof problem?.code === 'string' ? problem.code : null,
    );
  }

  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    const response = await this.request(withQuery(path, query), { signal });
    return (await response.json()) as T;
  }

  async post<T>(path: string, body?: object): Promise<T> {
    const response = await this.request(path, {
      method: 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    return (await response.json()) as T;
  }
}
