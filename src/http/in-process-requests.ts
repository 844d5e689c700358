import { createServer, request, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { Duplex } from 'node:stream';
import type { Logger } from '../logger.js';
import type { LoggedRequest } from './access-log.js';
import { answeringUnreadable, type UnreadableListener } from './front-server.js';

export interface InProcessRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  /** Sent with its Content-Length. */
  body?: Buffer;
  /** The peer address the request is to seem to come from: the one of the request that made it. */
  remoteAddress: string;
  /** The address and port it is to seem to have reached, those of the request that made it: a link is built on them without a Host. */
  localAddress?: string;
  localPort?: number;
  /**
   * Whether the front door's access line is held for its sender (the answer's `line`), to write
   * with what its client saw ($batch's 429 in the place of an answer that did not fit), or not at all.
   */
  loggedBySender?: boolean;
}

/** An access line the front door wrote for a request sent `loggedBySender`: what it would have written (logRequest's arguments). */
export interface HeldLine {
  log: Logger;
  context: LoggedRequest;
  endedAt: number;
}

export interface InProcessAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** node:http refused the request before the listener saw it (a request head over its 16 KiB): `status` alone, no headers or body of the bridge's. */
  unread: boolean;
  /** Its access line, held (`loggedBySender`); none when the front door wrote none (the access log off, or the request unread). */
  line: HeldLine | undefined;
}

/**
 * Sends requests to a request listener (the bridge's own front door) in memory: each over
 * a connection of its own, an in-memory pair of streams, through a plain HTTP server that
 * never listens. node:http reads the request and writes the answer exactly as for a
 * network client, so every part of the front door (the photo hot path, Express, the access
 * log) answers as it always does. Graph's $batch sends its requests so.
 */
export function inProcessRequests(listener: RequestListener, unreadable?: UnreadableListener): (sent: InProcessRequest) => Promise<InProcessAnswer> {
  // A request node:http cannot read is answered, and told to `unreadable` for its access line,
  // as the front door does (a URL past 16 KiB: 414). A request that came without a Host goes on
  // without one (node:http's client would write `localhost`): its links are built on the
  // address it reached, as the request's were.
  const heard: RequestListener = (req, res) => {
    const connection = req.socket;
    if (connection instanceof ConnectionEnd) {
      connection.heard = true;
      if (connection.sent.loggedBySender) {
        heldLines.set(req, undefined);
        // The line is written at 'close' at the latest (logWhenDone), by a listener after this one: the exchange is over once they all have run.
        connection.over = new Promise((over) => res.once('close', () => queueMicrotask(() => over(heldLines.get(req)))));
      }
    }
    listener(req, res);
  };
  const server = answeringUnreadable(createServer({ requireHostHeader: false }, heard), unreadable);
  return (sent) =>
    new Promise((resolve, reject) => {
      const [serverEnd, clientEnd] = connectionPair(sent);
      server.emit('connection', serverEnd);
      const length = sent.body ? { 'content-length': String(sent.body.length) } : {};
      const asked = request(
        {
          createConnection: () => clientEnd,
          method: sent.method,
          path: sent.path,
          headers: { ...sent.headers, ...length, connection: 'close' },
          setHost: sent.headers.host !== undefined,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            clientEnd.destroy();
            const answered = { status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks), unread: !serverEnd.heard };
            void serverEnd.over.then((line) => resolve({ ...answered, line }));
          });
          answer.on('error', reject);
        },
      );
      asked.on('error', reject);
      asked.end(sent.body);
    });
}

/** Whether a request came over an in-process connection: one a request the bridge answers made ($batch's). */
export function sentInProcess(socket: unknown): boolean {
  return socket instanceof ConnectionEnd;
}

/** The requests sent `loggedBySender`, and their lines once written. A WeakMap answers the access log's question of every other request at once. */
const heldLines = new WeakMap<object, HeldLine | undefined>();

/** Holds the line for the request's sender, if it is its to write (InProcessRequest's `loggedBySender`): whether it did. */
export function heldForSender(log: Logger, context: LoggedRequest, endedAt: number): boolean {
  const req = context.req;
  if (!heldLines.has(req) || heldLines.get(req) !== undefined) return false;
  heldLines.set(req, { log, context, endedAt });
  return true;
}

/** One end of an in-memory connection: what it writes, the other end reads. It has what node:http asks of a socket. */
class ConnectionEnd extends Duplex {
  peer: ConnectionEnd | undefined;
  /** Whether the listener was handed the request of this connection (each carries one). */
  heard = false;
  /** Settled once the exchange is over, with its line if held: at once unless `loggedBySender`. */
  over: Promise<HeldLine | undefined> = Promise.resolve(undefined);
  readonly remotePort = 0;
  readonly encrypted = false;

  readonly remoteAddress: string;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;

  /** `sent`: the request it carries, for its server end; the client end's is none. */
  constructor(readonly sent: Partial<InProcessRequest>) {
    super();
    this.remoteAddress = sent.remoteAddress ?? '127.0.0.1';
    this.localAddress = sent.localAddress;
    this.localPort = sent.localPort;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.peer?.push(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _read(): void {}

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.peer && !this.peer.destroyed) this.peer.push(null);
    done(error);
  }

  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

function connectionPair(sent: InProcessRequest): [ConnectionEnd, ConnectionEnd] {
  const serverEnd = new ConnectionEnd(sent);
  const clientEnd = new ConnectionEnd({});
  serverEnd.peer = clientEnd;
  clientEnd.peer = serverEnd;
  return [serverEnd, clientEnd];
}
