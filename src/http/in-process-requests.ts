import { createServer, request, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { Duplex } from 'node:stream';
import type { Principal } from '../domain/account.js';
import { answeringUnreadable, type UnreadableListener } from './front-server.js';
import { contextOf } from './request-context.js';

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
   * The login of the request that made it, which it runs with: its access line names it even
   * where it is refused before its own is read (a NUL in its target), as every other line of it does.
   */
  principal?: Principal | undefined;
  /** Whether its sender writes its access line instead: a request made only to learn of the path ($batch's OPTIONS for a refused method's Allow) is none the client sent. */
  loggedBySender?: boolean;
}

export interface InProcessAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** node:http refused the request before the listener saw it (a request head over its 16 KiB): `status` alone, no headers or body of the bridge's. */
  unread: boolean;
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
      if (connection.sent.loggedBySender) linesOfSenders.add(req);
      const principal = connection.sent.principal;
      // Listening ahead of the front door (logWhenDone), whose line is written at 'close' too.
      if (principal) res.once('close', () => (contextOf(req).principal ??= principal));
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
            resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks), unread: !serverEnd.heard });
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

/** The requests whose access lines their senders write. A WeakSet answers the access log's question of every other request at once. */
const linesOfSenders = new WeakSet<object>();

/** Whether `req`'s access line is its sender's to write, not the front door's (InProcessRequest's `loggedBySender`). */
export function loggedBySender(req: object): boolean {
  return linesOfSenders.has(req);
}

/** One end of an in-memory connection: what it writes, the other end reads. It has what node:http asks of a socket. */
class ConnectionEnd extends Duplex {
  peer: ConnectionEnd | undefined;
  /** Whether the listener was handed the request of this connection (each carries one). */
  heard = false;
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
