import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import {
  STATUS_CODES,
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createSecureContext, Server as TlsServer } from 'node:tls';
import { ConfigError } from '../config.js';
import { CLIENT_CLOSED_REQUEST } from '../domain/errors.js';
import { AddressList } from './address-list.js';
import { clientNetwork } from './addressing.js';
import { stopReading } from './lingering-close.js';
import { DirectBodyMessage, holdContinue } from './read-body.js';
import { markAnsweredByServer, markArrival } from './request-context.js';

interface TlsFiles {
  /** PEM certificate chain; empty for plain HTTP. */
  certFile: string;
  keyFile: string;
}

/** What one client, and all of them together, may hold of the server: connections and time. */
interface ConnectionLimits {
  /** BRIDGE_MAX_CONNECTIONS: open connections, at most; Node closes any beyond it as it accepts them. */
  maxConnections: number;
  /** BRIDGE_MAX_CONNECTIONS_PER_CLIENT: open connections from one peer address, at most. */
  maxConnectionsPerClient: number;
  /** BRIDGE_TRUSTED_PROXIES: peers whose connections count only against `maxConnections` (every client behind a proxy shares its address). */
  trustedProxies: string;
  /** BRIDGE_HEADERS_TIMEOUT_SECONDS in ms: from a connection's start (or a request's first byte) to the end of its headers; also the TLS handshake's limit. */
  headersTimeoutMs: number;
  /** BRIDGE_REQUEST_TIMEOUT_SECONDS in ms: from a request's first byte to the end of its body. Longer than `headersTimeoutMs`. */
  requestTimeoutMs: number;
  /** BRIDGE_IDLE_TIMEOUT_SECONDS in ms: a connection with nothing read or written for this long is closed (a client that stops reading its answer). */
  idleTimeoutMs: number;
  /** Where the connections closed unanswered are counted, for the metrics. */
  refused: RefusedConnections;
  /** Told of each request node:http refuses before any listener sees it (headers too large, malformed, too slow): the access log has no line for it otherwise. */
  unreadable?: UnreadableListener;
}

/** Told of a request node:http refused unread: the client's address, the status it was answered, and node's reason. */
export type UnreadableListener = (client: string, status: number, reason: string) => void;

/** Connections closed as they were accepted, by the cap they met. */
export interface RefusedConnections {
  perClient: number;
  overall: number;
}

/**
 * How often Node looks for requests past `headersTimeoutMs` or `requestTimeoutMs`. Its own
 * default, 30 s, would let a 20 s limit run to 50 s; a look goes over the open connections
 * only, microseconds each.
 */
function checkIntervalMs(limits: ConnectionLimits): number {
  return Math.max(250, Math.min(5_000, Math.floor(limits.headersTimeoutMs / 2)));
}

export interface FrontServer {
  server: Server;
  /** Whether the server speaks TLS itself. */
  readonly tls: boolean;
  /**
   * Reads the certificate and key again (after a renewal) for new connections; open ones
   * keep theirs. Throws, keeping the old pair, when the new files do not load.
   */
  reloadTls(): void;
  /**
   * Stops listening; resolves once every connection it took has closed. node:http's own
   * close callback comes before the 'close' of the connections it cut (theirs waits for the
   * socket's handle to close), where a response cut by the shutdown grace writes its access
   * line (499): a process that exited at the callback left that line unwritten.
   */
  close(): Promise<void>;
}

/**
 * The public listener: plain HTTP for a site with a TLS proxy in front, or HTTPS with the
 * operator's certificate and key files for a site without one. Either way it faces
 * clients that may hold connections open to exhaust the process's file descriptors
 * (slowloris), so connections are capped per peer address and in all, and a request must
 * bring its headers, and its body, within a time limit.
 *
 * `pair`: the TLS pair `files` name, as tlsPairOf loaded it (undefined for plain HTTP);
 * `files` are read again on reload.
 */
export function createFrontServer(files: TlsFiles, pair: TlsPair | undefined, limits: ConnectionLimits, listener: RequestListener): FrontServer {
  const options: ServerOptions = {
    IncomingMessage: DirectBodyMessage,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: checkIntervalMs(limits),
    // An HTTP/1.1 request without Host is refused by the front door itself (request-target.ts):
    // node:http's own 400 came with no request id, no access line and no count.
    requireHostHeader: false,
  };
  const answer = answeringInTurn(listener, limits.unreadable);
  /** What every front server does, plain or TLS, around the same listener. */
  const guarded = <S extends Server>(server: S): S =>
    refusingConnect(
      answeringUnreadable(continueWhenBodyWanted(limitConnections(closingIdle(answeringHalfClosed(server), limits), limits), answer), limits.unreadable),
      limits.unreadable,
    );
  if (!pair) {
    const server = guarded(createHttpServer(options, answer));
    return {
      server,
      tls: false,
      close: closingOnceConnectionsClose(server, 'connection'),
      reloadTls: () => {
        throw new Error('no TLS files are configured');
      },
    };
  }
  // A TLS handshake comes before the HTTP parser that times headers: without its own limit (Node's is 120 s) a silent connection would sit out that long.
  // A TLS connection, unlike a plain one, ends its own side at the client's FIN unless told to stay half open (answeringHalfClosed).
  const tlsOptions = { ...options, ...pair, handshakeTimeout: limits.headersTimeoutMs, allowHalfOpen: true };
  const server = guarded(createHttpsServer(tlsOptions, answer));
  return {
    server,
    tls: true,
    reloadTls: () => server.setSecureContext(readPair(files)),
    // The connections that carry requests: a raw one under TLS is taken over by its TLS socket.
    close: closingOnceConnectionsClose(server, 'secureConnection'),
  };
}

/** Keeps the server's open connections (as `event` hands them over) for `close` to wait for. */
function closingOnceConnectionsClose(server: Server, event: 'connection' | 'secureConnection'): () => Promise<void> {
  const open = new Set<Socket>();
  server.on(event, (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return async () => {
    await new Promise((resolve) => server.close(resolve));
    await Promise.all([...open].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
  };
}

/**
 * A request that says `Expect: 100-continue` goes to the same listener, its 100 Continue
 * held until its body is wanted (readBody): Node would send it at once, inviting a caller
 * about to be refused (no login, a body over the limit) to send the body anyway.
 */
function continueWhenBodyWanted<S extends Server>(server: S, listener: RequestListener): S {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    holdContinue(req, res);
    listener(req, res);
  });
  // Any other expectation is ignored, as RFC 9110 §10.1.1 allows: node:http's own answer to
  // it, a bare 417, came with no request id and no access line.
  server.on('checkExpectation', listener);
  return server;
}

/** The status node:http answers a request it cannot read, by its error (lib/_http_server.js, socketOnError); 400 for the rest. */
const UNREADABLE_STATUS: Partial<Record<string, number>> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/** A client's leaving as node:http reports it: reset, or its connection ended before the request did. */
const CLIENT_LEFT = new Set(['ECONNRESET', 'HPE_INVALID_EOF_STATE']);

/** What node:http puts on a parse error (lib/_http_server.js, prepareError; src/node_http_parser.cc): the read it happened in, and where in it. */
type ParseError = NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number };

function unreadableStatus(error: ParseError): number {
  if (error.code === 'HPE_HEADER_OVERFLOW' && overflowedInRequestLine(error)) return 414;
  return UNREADABLE_STATUS[error.code ?? ''] ?? 400;
}

/**
 * Whether node:http's limit on a request's head was passed in its request line, by a URL
 * longer than the whole head may be (16 KiB): node counts the line with the header fields
 * and says 431 for both, where RFC 9112 §3 answers an over-long request target 414, and the
 * front door does for a URL over MAX_URL_LENGTH. `bytesParsed` is where the span that passed
 * the limit ended in the read; the line it is in is a request line when it starts with a
 * method and a space (a field's name has no space). A line whose start came in an earlier
 * read is not there to look at: it stays 431.
 */
function overflowedInRequestLine({ rawPacket, bytesParsed }: ParseError): boolean {
  if (rawPacket === undefined || bytesParsed === undefined) return false;
  const endOfLineBefore = rawPacket.lastIndexOf('\r\n', Math.max(bytesParsed - 1, 0));
  const start = endOfLineBefore === -1 ? 0 : endOfLineBefore + 2;
  return REQUEST_LINE_START.test(rawPacket.toString('latin1', start, Math.min(bytesParsed, start + REQUEST_LINE_START_LENGTH)));
}
/** A method (RFC 9110 §9.1, a token) and the space after it. */
const REQUEST_LINE_START = /^[-!#$%&'*+.^`|~\w]+ /;
/** Enough of a line for any method and its space. */
const REQUEST_LINE_START_LENGTH = 64;

/**
 * Answers a request node:http cannot read as node:http does — its status (414 for a request
 * line too long), `Connection: close`, the connection closed — and tells `unreadable`, so
 * that a 431 a client sees also shows in the log (a client that reset the connection is not
 * worth a line). Pipelined behind requests still being answered, it waits for their answers
 * (refusedInTurn): ended at once, the connection lost them, and one answer still in the
 * making (a photo being fetched) had the 400 written in its place. node:http tells of the
 * same connection again (the bytes after the error, its end): once is enough.
 */
export function answeringUnreadable<S extends Server>(server: S, unreadable?: UnreadableListener): S {
  server.on('clientError', (error: ParseError, socket: Connection) => {
    if (refusing.has(socket)) return;
    const status = unreadableStatus(error);
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
    // The last request handed on, unfinished: the error is in its body.
    const last = socket[UNANSWERED]?.at(-1) ?? socket._httpMessage;
    const inBody = last && !last.req.complete ? last : undefined;
    // Not started (it waited for its turn), no listener saw it: the refusal below is its answer.
    const unstarted = inBody !== undefined && waitingTurn.has(inBody);
    if (inBody && !unstarted) {
      // A request already handed on has its own line, with the status written here (408 for a
      // body too slow, 400 for a chunk that does not parse); 499 when its client left mid-body.
      if (socket.writable && !inBody.headersSent) {
        if (!CLIENT_LEFT.has(error.code ?? '')) markAnsweredByServer(inBody, status);
        socket.write(head);
      }
      socket.destroy();
    } else if (error.code === 'ECONNRESET') socket.destroy();
    else {
      if (unstarted) waitingTurn.delete(inBody);
      refusedInTurn(socket, status, error.code ?? 'unreadable', head, unreadable);
    }
  });
  return server;
}

/**
 * Answers CONNECT — a proxy's method, which no resource here takes — 501 (RFC 9110 §9.1: a
 * method an origin server does not implement), once the answers ahead of it on its
 * connection are out, and closes the connection. node:http hands a CONNECT to a `connect`
 * listener and, without one, destroys the connection unanswered, the requests before it
 * on the connection with it.
 */
function refusingConnect<S extends Server>(server: S, unreadable?: UnreadableListener): S {
  server.on('connect', (_req: IncomingMessage, socket: Connection) =>
    refusedInTurn(socket, 501, 'CONNECT', `HTTP/1.1 501 ${STATUS_CODES[501]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, unreadable),
  );
  return server;
}

/**
 * Refuses a request no listener is to see with `head`, once every answer ahead of it on its
 * connection is out, then closes the connection; its line, `request refused unread`, says
 * `status`, or 499 when the connection closed first. The connection is read no more: what
 * follows the refused request is not answered.
 */
function refusedInTurn(socket: Connection, status: number, reason: string, head: string, unreadable?: UnreadableListener): void {
  refusing.add(socket);
  stopReading(socket);
  let refused = false;
  const refuse = () => {
    if (refused) return;
    refused = true;
    if (!socket.writable) {
      unreadable?.(socket.remoteAddress ?? '', CLIENT_CLOSED_REQUEST, reason);
      socket.destroy();
      return;
    }
    unreadable?.(socket.remoteAddress ?? '', status, reason);
    // Destroyed once written: node:http no longer reads or watches the connection, so a client that kept it open would hold it.
    socket.end(head, () => socket.destroy());
  };
  // Complete: a request whose body failed while it waited is the one refused here.
  const ahead = socket[UNANSWERED]?.findLast((res) => !res.writableFinished && !res.destroyed && res.req.complete);
  if (!ahead) return refuse();
  ahead.once('close', refuse);
  // An answer that never started (its connection closed first) never closes.
  socket.once('close', refuse);
}

/**
 * Answers a client that half-closes its connection once its request is sent (`nc -N`,
 * `printf … | socat`, HTTP/1.0 tools and health checks that shut down their side to say
 * "that was all"), then closes it. node:http by default ends its side as soon as the
 * client's FIN arrives, so any answer not written in that same turn — a SOAP answer, a
 * login or photo not yet cached — was lost. `httpAllowHalfOpen` is node:http's own switch
 * for this (lib/_http_server.js, socketOnEnd: the last answer is marked to close the
 * connection after it), undocumented but kept for the modules that use it; a request cut
 * short by the FIN is still refused with 400 and its connection destroyed.
 */
function answeringHalfClosed<S extends Server>(server: S): S {
  (server as S & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  return server;
}

/**
 * Closes a connection on which nothing moved for `idleTimeoutMs` while a request of it is
 * in progress — above all an answer its client stopped reading, whose writes no longer
 * complete: one login held 200 connections (every one the server had) with 4 MB answers it
 * never read. Between requests node:http's keep-alive timeout applies.
 *
 * One timer looks over the open connections a few times per limit. node:http's own socket
 * timeout (`server.timeout`) does the same with a timer per connection, made again for every
 * request and moved on every read and write: 3 % of the CPU of a cached photo.
 */
function closingIdle<S extends Server>(server: S, limits: ConnectionLimits): S {
  const watched = new Map<Connection, LastMoved>();
  // The HTTP parser's socket: for HTTPS the TLS one, whose bytes are the requests' and answers'.
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Connection) => {
    watched.set(socket, { bytes: -1, at: 0 });
    socket.once('close', () => watched.delete(socket));
  });
  const look = setInterval(() => {
    const now = performance.now();
    for (const [socket, last] of watched) {
      const bytes = socket.bytesRead + socket.bytesWritten;
      // `_httpMessage`: node:http's answer in progress on the connection (see answeringUnreadable).
      if (bytes !== last.bytes || !socket._httpMessage) {
        last.bytes = bytes;
        last.at = now;
      } else if (now - last.at >= limits.idleTimeoutMs) socket.destroy();
    }
  }, lookIntervalMs(limits));
  look.unref();
  server.once('close', () => clearInterval(look));
  return server;
}

interface LastMoved {
  /** Bytes read and written when last seen to change (-1: not looked at yet). */
  bytes: number;
  /** When they were (performance.now()). */
  at: number;
}

/** A quarter of the limit, so a connection is closed at most a quarter late; within 50 ms and 5 s. */
function lookIntervalMs(limits: ConnectionLimits): number {
  return Math.max(50, Math.min(5_000, Math.floor(limits.idleTimeoutMs / 4)));
}

/**
 * Caps open connections in all (`server.maxConnections`) and per peer (an IPv4 address, an IPv6 /64). The peer is
 * the TCP one: forwarded headers are not read yet when a connection opens, and anyone can
 * write them. A connection over its address's cap is closed at once, unanswered; a trusted
 * proxy's connections count against the overall cap only.
 */
function limitConnections<S extends Server>(server: S, limits: ConnectionLimits): S {
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => limits.refused.overall++);
  const exempt = new AddressList(limits.trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    // No address: the socket is already gone. A proxy: every client behind it shares its address.
    if (address === undefined || (!exempt.isEmpty && exempt.includes(address))) return;
    // An IPv6 host holds a /64 of addresses, as the login throttle counts it: by the one, it held every connection the server takes.
    const peer = clientNetwork(address);
    const count = (open.get(peer) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      limits.refused.perClient++;
      socket.destroy();
      return;
    }
    open.set(peer, count);
    socket.once('close', () => {
      const left = (open.get(peer) ?? 1) - 1;
      // Deleted at zero: a flood of distinct addresses leaves nothing behind.
      if (left > 0) open.set(peer, left);
      else open.delete(peer);
    });
  });
  return server;
}

/**
 * Pipelined requests one connection may have unanswered; one more closes it. Node starts
 * every request of a socket read at once, and pauses a socket only once answers wait to
 * be written, so one 64 KiB write of small requests put ~450 in flight: unread, their
 * answers piled up (36 MB a connection), and searches run back to back held the event
 * loop for tens of seconds. Browsers do not pipeline; clients that do keep a few in flight.
 */
export const MAX_UNANSWERED_PER_CONNECTION = 16;

const UNANSWERED = Symbol('the responses this connection has yet to finish, oldest first');
/** Pipelined requests handed on that wait for the answer ahead of them. */
const waitingTurn = new WeakSet<ServerResponse>();

/**
 * Connections being refused (refusedInTurn): what node:http tells of them after is not
 * answered again. A set, as waitingTurn: a property looked for on every request's socket
 * and missing is looked for up its whole prototype chain.
 */
const refusing = new WeakSet<Socket>();

type Connection = Socket & { [UNANSWERED]?: ServerResponse[]; _httpMessage?: ServerResponse | null };

/**
 * Passes a request on unless its connection has MAX_UNANSWERED_PER_CONNECTION answers
 * pending already; then the connection is read no more and closed once those are out, and
 * requests it brought after are not answered. HTTP/1.1 answers in order, so the finished
 * ones are always the oldest: no listener per request, only a look at the front of a short
 * list.
 *
 * A pipelined request starts only once the answer ahead of it is out: its own could not be
 * sent before, and made at once, sixteen answers of a client that reads none were held in
 * memory together (16 Autodiscover answers of 3.9 MB on each of 30 connections: 3 GB).
 * A client that waits for each answer, as nearly all do, finds nothing ahead. A request
 * that waited is logged with the wait in its time.
 *
 * A request that never reaches the listener because its connection is closing — the one
 * over the limit and those read after it, or those waiting when the client left — is told
 * to `unreadable` as 499, the status of an answer cut short: every request read has a line.
 */
function answeringInTurn(listener: RequestListener, unreadable?: UnreadableListener): RequestListener {
  const closedUnanswered = (socket: Socket, reason: string) => unreadable?.(socket.remoteAddress ?? '', CLIENT_CLOSED_REQUEST, reason);
  /** Tells of the requests still waiting on a connection that closed: their turn never comes. */
  const dropWaiting = (socket: Connection) => {
    for (const res of socket[UNANSWERED] ?? []) if (waitingTurn.delete(res)) closedUnanswered(socket, 'CLOSED_BEFORE_ITS_TURN');
  };
  /** Connections a request waited on, each watched once for its close. */
  const watched = new WeakSet<Socket>();
  return (req, res) => {
    const socket = req.socket as Connection;
    if (socket.destroyed || refusing.has(socket)) return void closedUnanswered(socket, 'CLOSED_BEFORE_ITS_TURN');
    const unanswered = (socket[UNANSWERED] ??= []);
    while (unanswered.length > 0 && (unanswered[0]!.writableFinished || unanswered[0]!.destroyed)) unanswered.shift();
    if (unanswered.length >= MAX_UNANSWERED_PER_CONNECTION) {
      refusedInTurn(socket, CLIENT_CLOSED_REQUEST, 'PIPELINED_OVER_LIMIT', '', unreadable);
      return;
    }
    const ahead = unanswered.at(-1);
    unanswered.push(res);
    if (ahead === undefined) {
      listener(req, res);
      return;
    }
    markArrival(req);
    if (!watched.has(socket)) {
      watched.add(socket);
      socket.once('close', () => dropWaiting(socket));
    }
    waitingTurn.add(res);
    ahead.once('close', () => {
      // Dropped with its connection, or refused for a body that failed while it waited.
      if (!waitingTurn.has(res)) return;
      if (socket.destroyed) return dropWaiting(socket);
      waitingTurn.delete(res);
      listener(req, res);
    });
  };
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** The TLS pair the settings name, loaded and checked; undefined for plain HTTP; a ConfigError for a pair that will not serve. */
export function tlsPairOf(files: TlsFiles): TlsPair | undefined {
  if ((files.certFile === '') !== (files.keyFile === '')) {
    throw new ConfigError(['BRIDGE_TLS_CERT_FILE and BRIDGE_TLS_KEY_FILE: set both for HTTPS, or neither for plain HTTP']);
  }
  return files.certFile === '' ? undefined : readPair(files);
}

/** The certificate and key, checked to make a TLS context together; a ConfigError naming the files otherwise (a missing file, a key that does not match or is encrypted). */
function readPair(files: TlsFiles): TlsPair {
  try {
    const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
    createSecureContext(pair);
    return pair;
  } catch (error) {
    throw new ConfigError([`BRIDGE_TLS_CERT_FILE and BRIDGE_TLS_KEY_FILE (${files.certFile}, ${files.keyFile}): ${(error as Error).message}`]);
  }
}
