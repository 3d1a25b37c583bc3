/**
 * The answer to a request Node's HTTP parser refuses before any route sees it: a head over
 * `--max-http-header-size` (a 100 kB query string, a 20 kB token), a malformed request line or
 * header, a request that does not arrive in time. Node's own answer is a bare status line with
 * no body; this one is the problem document the admin API answers every other error with.
 */
import {
  maxHeaderSize,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { httpProblem, PROBLEM_CONTENT_TYPE } from '#tenant-migration';

const codeOf = (error: Error): string | undefined => {
  const code: unknown = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : undefined;
};

/** The parser's own reason (`Invalid method encountered`), when it is one short line. */
const reasonOf = (error: Error): string | undefined => {
  const reason: unknown = (error as Error & { reason?: unknown }).reason;
  return typeof reason === 'string' && /^[\x20-\x7e]{1,200}$/.test(reason) ? reason : undefined;
};

/** The status and detail of a refused request: the statuses Node itself answers with. */
export const clientErrorProblem = (error: Error): { status: number; detail: string } => {
  switch (codeOf(error)) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        detail: `the request line and headers are larger than ${maxHeaderSize} bytes together`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, detail: 'the chunk extensions of the request body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'the request did not arrive in time' };
    default: {
      const reason = reasonOf(error);
      return {
        status: 400,
        detail: `the request is not valid HTTP/1.1${reason ? ` (${reason.toLowerCase()})` : ''}`,
      };
    }
  }
};

/** The whole HTTP/1.1 response to a refused request, head and body; the connection closes after it. */
export const clientErrorResponse = (error: Error): string => {
  const { status, detail } = clientErrorProblem(error);
  const body = JSON.stringify(httpProblem(status, detail));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/**
 * Answers the server's client errors with `clientErrorResponse`, then closes the connection, as
 * Node does with its bare answer. Nothing is written when the client is gone (`ECONNRESET`), the
 * socket can no longer be written, or a response on that connection has started (a pipelined
 * request after it failed to parse): its bytes would corrupt that response, so the connection is
 * only destroyed.
 */
export const answerClientErrors = (server: Server): void => {
  const inFlight = new WeakMap<object, ServerResponse>();
  const answered = new WeakSet<Duplex>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) =>
    inFlight.set(request.socket, response),
  );
  server.on('clientError', (error: Error, socket: Duplex) => {
    // The parser fails again on every further chunk of the refused request: answered once.
    if (answered.has(socket)) return;
    const response = inFlight.get(socket);
    const started = response !== undefined && response.headersSent && !response.writableFinished;
    if (codeOf(error) === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    socket.end(clientErrorResponse(error), () => socket.destroy());
  });
};
