import { EventSourceParserStream } from 'eventsource-parser/stream';
import { API, ApiError, type ApiClient } from './api';
import { SETTLED, type Operation, type OperationProgress, type OperationStatus } from './api-types';

/** What an operation's event stream says, one event at a time. */
export type OperationEvent =
  | { type: 'status'; status: OperationStatus; at: string }
  | { type: 'progress'; progress: OperationProgress; at: string }
  | { type: 'run'; runId: string; at: string }
  | { type: 'result'; at: string };

const RECONNECT_MS = 2000;

const eventOf = (type: string, data: string): OperationEvent | null => {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  const at = typeof body.at === 'string' ? body.at : new Date().toISOString();
  if (type === 'status' && typeof body.status === 'string')
    return { type, status: body.status as OperationStatus, at };
  if (type === 'progress') return { type, progress: body as unknown as OperationProgress, at };
  if (type === 'run' && typeof body.runId === 'string') return { type, runId: body.runId, at };
  if (type === 'result') return { type, at };
  return null;
};

/**
 * Follows an operation's server-sent events with fetch, so the token travels in the
 * Authorization header (an EventSource could only put it in the URL). A cut stream is read
 * again after the last event id heard; the stream ends when the operation settles (the server
 * then answers 204) or the signal aborts.
 */
export const followOperation = async (
  api: ApiClient,
  id: string,
  onEvent: (event: OperationEvent) => void,
  signal: AbortSignal,
): Promise<void> => {
  let lastEventId = '';
  let settled = false;
  while (!signal.aborted && !settled) {
    try {
      const response = await api.request(`${API}/operations/${encodeURIComponent(id)}/events`, {
        headers: {
          Accept: 'text/event-stream',
          ...(lastEventId === '' ? {} : { 'Last-Event-ID': lastEventId }),
        },
        signal,
      });
      if (response.status === 204 || response.body === null) return;
      const events = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream());
      for await (const message of events) {
        if (message.id !== undefined) lastEventId = message.id;
        const event = eventOf(message.event ?? 'message', message.data);
        if (!event) continue;
        onEvent(event);
        if (event.type === 'result') settled = true;
        if (event.type === 'status' && SETTLED.has(event.status) && event.status !== 'succeeded')
          settled = true;
      }
    } catch (error) {
      if (signal.aborted) return;
      // A refusal (unknown operation, token refused) is final; a cut connection is read again.
      if (error instanceof ApiError && error.status >= 400) throw error;
    }
    if (!settled && !signal.aborted)
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
};

/** The operation as it now stands (after its stream ended, the record has its result). */
export const operationOf = (api: ApiClient, id: string): Promise<Operation> =>
  api.get<Operation>(`${API}/operations/${encodeURIComponent(id)}`);
