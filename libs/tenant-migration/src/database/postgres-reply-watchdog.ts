import { Socket } from 'node:net';

/** What a PostgreSQL connection fails with when the server stopped replying (see `postgresReplyWatchdog`). */
export class PostgresReplyTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(readonly timeoutMs: number) {
    super(`no reply for ${timeoutMs / 1000} s`);
    this.name = 'PostgresReplyTimeoutError';
  }
}

/** ReadyForQuery: `Z`, length 5, the transaction status (`I`, `T` or `E`). The server says nothing after it until asked. */
const READY_FOR_QUERY_LENGTH = 6;
const endsWithReadyForQuery = (tail: Buffer): boolean =>
  tail.length === READY_FOR_QUERY_LENGTH &&
  tail[0] === 0x5a &&
  tail.readInt32BE(1) === 5 &&
  [0x49, 0x54, 0x45].includes(tail[5]);

/**
 * The socket factory for pg's `stream` option that ends a connection whose server stopped
 * replying: once the server owes an answer (something was sent, or a result is still coming) and
 * no byte has moved either way for `timeoutMs`, the socket is destroyed with
 * PostgresReplyTimeoutError, which fails the statement in flight (answered as store-unavailable).
 * A stopped, frozen or partitioned server otherwise keeps the connection open with the kernel
 * acknowledging every packet, and nothing ends the wait.
 *
 * The server owes nothing once its last message was ReadyForQuery and nothing was sent since:
 * an idle connection is never ended. A COPY either way keeps the socket active. Over TLS the
 * messages cannot be read here, so only what was sent after the last bytes received counts (a
 * server that froze in the middle of a result is then not detected). A statement that runs
 * silently for longer than `timeoutMs` fails too: choose the bound above the longest one (a bulk
 * DELETE, an index build). 0 turns the watchdog off.
 */
export const postgresReplyWatchdog =
  (timeoutMs: number): ((config?: { ssl?: unknown }) => Socket) =>
  (config) => {
    const socket = new Socket();
    if (timeoutMs <= 0) return socket;
    const readable = !config?.ssl;
    // The last bytes received, and what had been sent by then.
    let tail: Buffer = Buffer.alloc(0);
    let sentBeforeLastReply = 0;
    // Replies are seen where the socket hands them to its readable side, not by a 'data'
    // listener of our own: pg-copy-streams requires pg's to be the only one.
    const push = socket.push.bind(socket);
    socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (Buffer.isBuffer(chunk) && chunk.length > 0) {
        // No copy for the usual chunk: only one shorter than the message joins the previous tail.
        tail =
          chunk.length >= READY_FOR_QUERY_LENGTH
            ? chunk.subarray(-READY_FOR_QUERY_LENGTH)
            : Buffer.concat([tail, chunk]).subarray(-READY_FOR_QUERY_LENGTH);
        sentBeforeLastReply = socket.bytesWritten;
      }
      return push(chunk, encoding);
    };
    const owed = (): boolean => {
      if (socket.bytesWritten > sentBeforeLastReply) return true;
      return readable && socket.bytesWritten > 0 && !endsWithReadyForQuery(tail);
    };
    // Node re-arms the timer on every read and completed write; 'timeout' only reports it.
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => {
      if (owed()) socket.destroy(new PostgresReplyTimeoutError(timeoutMs));
    });
    return socket;
  };
