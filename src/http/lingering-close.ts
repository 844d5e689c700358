import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused body may still be read and dropped after its answer (nginx's lingering_timeout is 5 s). */
const LINGER_MS = 2000;

/**
 * Closes the connection of a request whose body is refused (413) without losing the
 * answer, which says `Connection: close`. The client may still be sending, and a socket
 * closed with bytes unread is reset: the reset makes the client's kernel drop the answer
 * before the client reads it (under load, 1 in 30 clients sending a declared 30 MB saw
 * "write EPIPE", not the 413). So, as nginx's lingering close does, the answer goes out,
 * the sending side is shut, and what still comes is read and dropped until the client
 * closes, for LINGER_MS at most. node:http ends the connection of a `close` answer with
 * the socket's `destroySoon`, which destroys it once the answer is written: on this
 * socket, that is the lingering close.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  const socket: Socket | null = res.socket;
  if (!socket || res.headersSent) return;
  res.setHeader('connection', 'close');
  socket.destroySoon = () => {
    socket.end();
    if (!readNoMore.has(socket)) socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/** Connections pieceDropper stopped reading: the linger must not read them again. */
const readNoMore = new WeakSet<Socket>();

/** A refused body this small is read to its end and the connection kept: reading it costs little however it is cut. */
const DRAINED_BODY_BYTES = 16 * 1024;

/**
 * Lets go of a refused request's body; called before the refusal is written. A body
 * declared small is dropped as it comes and the connection kept (a client that was asked
 * for its login goes on on it); a chunked or larger one is read for LINGER_MS at most after
 * the answer, then the connection closes: read to its end, a body trickled in one-byte
 * chunks cost the event loop microseconds a chunk for as long as its client kept sending.
 */
export function dropRefusedBody(req: IncomingMessage, res: ServerResponse): void {
  const length = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || !(length <= DRAINED_BODY_BYTES)) closeAfterAnswer(res);
  req.on('data', pieceDropper(req));
}

/**
 * Pieces of a refused body dropped at most; past them the connection is read no more. Each
 * piece costs the parser a callback, and the linger let four clients sending one-byte
 * chunks without a login hold the event loop for seconds (`/healthz` 2.4 s); a client still
 * sending past this many has not heard its answer, or is not listening for it.
 */
export const DROPPED_PIECES_MAX = 1024;

/**
 * A 'data' listener for pieces of a body no one wants: each is dropped; past
 * DROPPED_PIECES_MAX the connection is no longer read, and closed LINGER_MS later. Closed
 * at once, with the client still sending, it was reset under the client's next write, and
 * the client, failing that write, let go of the answer waiting unread in its socket: 1 in
 * 6 runs of four one-byte-chunk senders under CPU load got no 401. Not read, the connection
 * costs no callbacks, and the client's own sending stops once its window is full.
 */
export function pieceDropper(message: IncomingMessage): () => void {
  let pieces = 0;
  return () => {
    if (++pieces !== DROPPED_PIECES_MAX + 1) return;
    const socket = message.socket;
    readNoMore.add(socket);
    // Paused, the message asks its socket for no more (IncomingMessage#_read starts it reading again).
    message.pause();
    stopReading(socket);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/**
 * Stops reading a connection where its bytes come in. node:http's parser reads the socket's
 * handle itself (`parser.consume`), so `socket.pause()` stops only the stream's own flow,
 * which that socket does not use: its pieces kept coming. `reading` is net.Socket's own
 * record of it (lib/net.js, Socket#pause does the same for a socket it reads with a buffer).
 */
export function stopReading(socket: Socket): void {
  const handle = (socket as Socket & { _handle?: { reading: boolean; readStop(): number } | null })._handle;
  if (!handle) return;
  handle.reading = false;
  handle.readStop();
}
