import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { clip, jsonWithUnseenEscaped } from '../domain/plain-text.js';
import { BatchedLines, type LineBytes, type Logger } from '../logger.js';
import { heldForSender } from './in-process-requests.js';
import { answeredStatus, type RequestContext } from './request-context.js';
import { WallClock } from './wall-clock.js';

/**
 * The access log: one JSON line per request, written from its RequestContext, whichever
 * front door answered — the same fields on every path.
 *
 * It runs on every request, the photo hot path included, so a line is written as bytes
 * straight into the log's batch (logger.ts, BatchedLines), as nginx writes its buffered
 * log: no string is made per request. A line carries pino's fields (level, time, the
 * logger's base fields, msg) and: reqId, status, ms, method, path, client (the peer's
 * address), user (who the request acted as, once authenticated) and attemptedUser (the
 * name a failed login tried; never the password). The query string stays out: it carries
 * the addresses people looked up.
 */
export function logRequest(log: Logger, context: LoggedRequest, status: number, endedAt = performance.now()): void {
  const lines = accessLinesOf(log);
  if (lines.enabled && !heldForSender(log, context, endedAt)) lines.write(context, status, endedAt);
}

/**
 * What a line is written from: a request's context, or what stands for a request a $batch
 * answered itself (a 424), which never reached the front door.
 */
export type LoggedRequest = Pick<RequestContext, 'requestId' | 'clientAddress' | 'startedAt' | 'principal' | 'attemptedUser'> & {
  readonly req: { readonly method?: string | undefined; readonly url?: string | undefined; readonly socket?: object };
};

/**
 * For answers sent later or from several places: the line is written once the exchange
 * is over, with the status and user it ended with — 499 when the client left first.
 */
export function logWhenDone(log: Logger, context: RequestContext): void {
  context.res.once('close', () => logRequest(log, context, answeredStatus(context)));
}

/** For a destination that takes lines as strings (the tests' collectors): each line is handed over as it is written. */
class LineAtATime implements LineBytes {
  buffer = Buffer.allocUnsafe(16 * 1024);
  readonly used = 0;

  constructor(private readonly destination: pino.DestinationStream) {}

  reserve(bytes: number): void {
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  commit(end: number): void {
    this.destination.write(this.buffer.toString('utf8', 0, end));
  }
}

/**
 * How a logger's access lines are written: its own part of them (level, base fields) made
 * into bytes once, each request's numbers written as digits, and the rest — method, path,
 * client, user — taken from the connection's last line while they stay the same (tailOf).
 * The line's start, up to its request id, changes only with its time in milliseconds, and
 * the part around the status only with the status: both are kept as bytes and copied whole,
 * so a line costs three copies, the id and the duration.
 */
class AccessLines {
  private readonly head: Buffer;
  private readonly afterTime: Buffer;
  /** A line's time is its end on the wall clock: read afresh by each logger's lines, so its first line's time is exactly Date.now()'s. */
  private readonly clock = new WallClock();
  /** Room for a line's start: the head, a time and afterTime; the time's digits are written over as it changes. */
  private readonly startBytes: Buffer;
  /** The start of the lines of millisecond `startTime`, from `{"level"` to the request id's opening quote: a view of startBytes. */
  private start: Buffer = Buffer.alloc(0);
  private startTime = -1;
  /** `","status":200,"ms":` and the like, by status. */
  private readonly statusParts = new Map<number, Buffer>();
  /**
   * Whether the logger's level lets its info lines through (pino's levels ascend with
   * severity), kept as the level changes: a pino logger's properties are a dictionary,
   * and reading its level on every line cost a generic property lookup (~450 instructions).
   */
  enabled: boolean;

  constructor(
    private readonly out: LineBytes,
    log: Logger,
    bindings: string,
  ) {
    const level = log.levels.values.info!;
    this.head = Buffer.from(`{"level":${level},"time":`);
    this.afterTime = Buffer.from(`${bindings},"reqId":"`);
    this.startBytes = Buffer.alloc(this.head.length + NUMBER_MAX_BYTES + this.afterTime.length);
    copy(this.head, this.startBytes, 0);
    this.enabled = log.levelVal <= level;
    log.on('level-change', () => {
      this.enabled = log.levelVal <= level;
    });
  }

  write(context: LoggedRequest, status: number, endedAt: number): void {
    const tail = tailOf(context);
    const requestId = context.requestId;
    const start = this.startAt(Math.round(this.clock.at(endedAt)));
    const statusPart = this.statusPart(status);
    const out = this.out;
    out.reserve(start.length + requestId.length + statusPart.length + tail.length + DURATION_MAX_BYTES);
    const buffer = out.buffer;
    let at = copy(start, buffer, out.used);
    // The request id is ASCII: ours is hex and digits, a proxy's is checked (request-id.ts).
    for (let i = 0; i < requestId.length; i++) buffer[at++] = requestId.charCodeAt(i);
    at = copy(statusPart, buffer, at);
    at = writeTenths(buffer, at, Math.round((endedAt - context.startedAt) * 10));
    out.commit(copy(tail, buffer, at));
  }

  private startAt(time: number): Buffer {
    if (time !== this.startTime) {
      const timeEnd = writeInteger(this.startBytes, this.head.length, time);
      // One more digit (or the first line): what follows the time moves.
      if (timeEnd + this.afterTime.length !== this.start.length) this.start = this.startBytes.subarray(0, copy(this.afterTime, this.startBytes, timeEnd));
      this.startTime = time;
    }
    return this.start;
  }

  private statusPart(status: number): Buffer {
    let part = this.statusParts.get(status);
    if (part === undefined) {
      part = Buffer.from(`","status":${status},"ms":`);
      // Statuses are a few hundred at most; a status is a small whole number the bridge or node:http chose.
      this.statusParts.set(status, part);
    }
    return part;
  }
}

/** The most a number written here takes: a time in milliseconds, a duration. */
const NUMBER_MAX_BYTES = 24;
const DURATION_MAX_BYTES = NUMBER_MAX_BYTES + 2;

/**
 * Uint8Array's own `set`, called as is: looked up on the Buffer at each copy, the optimised
 * line writer made a generic property lookup for it every time (callgrind: a `LoadIC` call
 * per copy, ~70 instructions).
 */
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call on a Uint8Array, its own receiver
const typedArraySet = Uint8Array.prototype.set;

function copy(bytes: Buffer, buffer: Buffer, at: number): number {
  typedArraySet.call(buffer, bytes, at);
  return at + bytes.length;
}

/**
 * Writes a whole number ≥ 0 in decimal. Below 2^31 in int32 arithmetic, whose division by
 * ten the JIT makes a multiplication; a time in milliseconds (13 digits) is written as its
 * millions and six more digits so: a float division per digit was a fifth of the line's cost.
 */
function writeInteger(buffer: Buffer, at: number, value: number): number {
  if (value <= INT32_MAX) return writeInt32(buffer, at, value);
  const millions = Math.floor(value / 1e6);
  at = writeInteger(buffer, at, millions);
  return writeDigits(buffer, at, value - millions * 1e6, 6);
}

const INT32_MAX = 0x7fffffff;

function writeInt32(buffer: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits++;
  return writeDigits(buffer, at, value, digits);
}

/** Writes `value` (0 to 2^31 − 1) as exactly `digits` digits, zeros leading. */
function writeDigits(buffer: Buffer, at: number, value: number, digits: number): number {
  const end = at + digits;
  // `| 0` tells the JIT the value is an int32 (a difference of floats is not, to it).
  let left = value | 0;
  for (let i = end - 1; i >= at; i--) {
    const rest = (left / 10) | 0;
    buffer[i] = 0x30 + left - rest * 10;
    left = rest;
  }
  return end;
}

/** Writes tenths as a JSON number: 3 as 0.3, 20 as 2. */
function writeTenths(buffer: Buffer, at: number, tenths: number): number {
  const whole = Math.floor(tenths / 10);
  at = writeInteger(buffer, at, whole);
  const tenth = tenths - whole * 10;
  if (tenth === 0) return at;
  buffer[at] = 0x2e;
  buffer[at + 1] = 0x30 + tenth;
  return at + 2;
}

/**
 * The end of a request's line, from `,"method"` on. A keep-alive connection asks the same
 * URL as the same user over and over (a client polling a photo), so its last tail is kept
 * on the socket and used again while method, URL, client and user stay the same: the
 * escaping and the encoding are done once a connection, not once a request.
 */
function tailOf(context: LoggedRequest): Buffer {
  const { req } = context;
  const method = req.method;
  // Express rewrites req.url inside a mounted router (`/v1.0` + `/me/photo`); originalUrl keeps what the client asked.
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const client = context.clientAddress;
  const user = context.principal?.username;
  const attemptedUser = context.attemptedUser;
  const socket = req.socket as WithLastTail | undefined;
  const last = socket?.[LAST_TAIL];
  if (
    last !== undefined &&
    last.url === url &&
    last.method === method &&
    last.client === client &&
    last.user === user &&
    last.attemptedUser === attemptedUser
  ) {
    return last.bytes;
  }
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const bytes = Buffer.from(
    jsonWithUnseenEscaped(
      `,"method":"${method ?? ''}","path":${JSON.stringify(clip(withoutAddresses(path), LOGGED_PATH_MAX))},"client":${JSON.stringify(client)}` +
        (user !== undefined ? `,"user":${JSON.stringify(user)}` : '') +
        (attemptedUser !== undefined ? `,"attemptedUser":${JSON.stringify(clip(attemptedUser, LOGGED_NAME_MAX))}` : '') +
        ',"msg":"request"}\n',
    ),
  );
  if (socket) socket[LAST_TAIL] = { method, url, client, user, attemptedUser, bytes };
  return bytes;
}

const LAST_TAIL = Symbol("the end of the access line of this connection's last request");
type WithLastTail = object & {
  [LAST_TAIL]?: { method: string | undefined; url: string; client: string; user: string | undefined; attemptedUser: string | undefined; bytes: Buffer };
};

/**
 * The path less whom it names, as the query string is left out: Graph's and the admin
 * routes' `users/{upn}/photo` (or `users('{upn}')`) and Autodiscover's
 * `autodiscover.json/v1.0/{address}` name whom they are about in the path, by address or by
 * any other name (`users/Megan%20Bowen` was logged as sent). The segment after `users` or
 * `autodiscover.json` (past empty, dot and `v1.0` ones: `users//x`, `users/./x`), one that
 * runs a name into the word (`users('x')`, `users%2Fx`, `users;a=b`) and any with an `@` (or an
 * encoded one) is written `{address}`, the OData segments that name no one (`users/$count`) as
 * they are; the line's `user` still says who asked.
 */
function withoutAddresses(path: string): string {
  if (!NAMES_SOMEONE.test(path)) return path;
  let naming = false;
  return path
    .split('/')
    .map((segment) => {
      if (segment.includes('@') || ENCODED_AT.test(segment)) {
        naming = false;
        return '{address}';
      }
      const lower = segment.toLowerCase();
      if (naming) {
        if (segment === '' || segment === '.' || segment === '..' || lower === 'v1.0') return segment;
        naming = false;
        return segment.startsWith('$') ? segment : '{address}';
      }
      const word = NAMING_WORDS.find((candidate) => lower.startsWith(candidate));
      if (word === undefined) return segment;
      // The key form holds the name whole; a name run in by another separator may go on in the next segment.
      naming = !USER_KEY.test(segment);
      return segment.length === word.length ? segment : `${segment.slice(0, word.length)}{address}`;
    })
    .join('/');
}
/** `%40`, and `%2540` and deeper: a client may encode the `@` twice, and a route decode it so. */
const ENCODED_AT = /%(?:25)*40/;
/** The words after which a path names someone, in lower case. */
const NAMING_WORDS = ['users', 'autodiscover.json'];
/** What a path that may name someone holds: the cheap test ahead of the rest. */
const NAMES_SOMEONE = /@|%(?:25)*40|users|autodiscover\.json/i;
/** OData's key form, `users('…')` or `users(…)`, its parenthesis written or encoded. */
const USER_KEY = /^users(?:\(|%28)/i;

/** Longer paths are cut: no URL the bridge serves comes near, and a hostile one must not flood the log. */
const LOGGED_PATH_MAX = 512;
/** Longer names a failed login tried are cut: an address is at most 254 characters, and a header may carry 4 KiB of name on every throttled attempt. */
export const LOGGED_NAME_MAX = 320;

/**
 * A logger's access lines, kept on the logger itself (a WeakMap lookup per request cost the
 * photo hot path more than the rest of the access log's work) as its own property: a
 * child logger inherits its parent's properties, not its bindings.
 */
const ACCESS_LINES = Symbol('access lines');
type WithAccessLines = Logger & { [ACCESS_LINES]?: AccessLines };

/** Where each destination's lines go as bytes: one per destination, shared by the loggers writing to it. */
const lineBytes = new WeakMap<pino.DestinationStream, LineBytes>();

/** The logger asked last and its lines: nearly every request asks for the same logger's. */
let lastAsked: { log: Logger; lines: AccessLines } | undefined;

function accessLinesOf(log: WithAccessLines): AccessLines {
  if (lastAsked?.log === log) return lastAsked.lines;
  let lines = Object.hasOwn(log, ACCESS_LINES) ? log[ACCESS_LINES] : undefined;
  if (!lines) {
    const destination = (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!;
    let out = lineBytes.get(destination);
    if (!out) {
      out = destination instanceof BatchedLines ? destination : new LineAtATime(destination);
      lineBytes.set(destination, out);
    }
    const bindings = JSON.stringify(log.bindings()).slice(1, -1);
    lines = new AccessLines(out, log, bindings === '' ? '' : `,${bindings}`);
    log[ACCESS_LINES] = lines;
  }
  lastAsked = { log, lines };
  return lines;
}
