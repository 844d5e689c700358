import { pino } from 'pino';
import { clip } from '../domain/plain-text.js';
import { LogStream, type Logger } from '../logger.js';
import { answeredStatus, type RequestContext } from './request-context.js';

/**
 * The access log: one JSON line per request, written from its RequestContext, whichever
 * front door answered — the same fields on every path.
 *
 * It runs on every request, the photo hot path included, so a request only leaves its
 * fields here (see HeldLines) and the lines are made later, in a batch. They carry
 * pino's fields (level, time, the logger's base fields, msg) and: reqId, method, path,
 * status, ms, client (the peer's address), user (who the request acted as, once
 * authenticated) and attemptedUser (the name a failed login tried; never the password).
 * The query string stays out: it carries the addresses people looked up.
 */
export function logRequest(log: Logger, context: RequestContext, status: number): void {
  if (!log.isLevelEnabled('info')) return;
  const sink = sinkOf(log);
  sink.held.hold(sink.fields, context, status);
}

/**
 * For answers sent later or from several places: the line is written once the exchange
 * is over, with the status and user it ended with — 499 when the client left first.
 */
export function logWhenDone(log: Logger, context: RequestContext): void {
  context.res.once('close', () => logRequest(log, context, answeredStatus(context)));
}

/** Requests held at most before their lines are made: a few hundred lines, one batch. */
const HELD_MAX = 256;
/** The longest a line waits for its batch (then BatchedLines may hold it as long again). */
const HELD_MS = 200;

/**
 * The fields of requests answered since the last batch, column by column, until their
 * lines are made. Making a line costs well under a microsecond in a loop, but about four
 * times that between two requests under load, when the code and data it touches have
 * left the CPU's caches (bench/README.md: the line made per request cost 4.3 µs of server
 * CPU a cached photo under load; held, 1.3 µs of that was saved). What is held are
 * numbers and strings that live on anyway (the URL and id for a moment longer), so
 * young-generation collections have little to copy. The lines are made when the batch is
 * full, after HELD_MS, before any other line is written to the same stream (LogStream),
 * and before the process exits.
 */
class HeldLines {
  private count = 0;
  /** A logger's own part of its lines: level and base fields. */
  private readonly fields: LoggerFields[] = new Array<LoggerFields>(HELD_MAX);
  private readonly requestIds: string[] = new Array<string>(HELD_MAX);
  private readonly methods: (string | undefined)[] = new Array<string | undefined>(HELD_MAX);
  private readonly urls: string[] = new Array<string>(HELD_MAX);
  private readonly clients: string[] = new Array<string>(HELD_MAX);
  private readonly users: (string | undefined)[] = new Array<string | undefined>(HELD_MAX);
  private readonly attemptedUsers: (string | undefined)[] = new Array<string | undefined>(HELD_MAX);
  private readonly statuses = new Uint16Array(HELD_MAX);
  private readonly startedAt = new Float64Array(HELD_MAX);
  private readonly endedAt = new Float64Array(HELD_MAX);
  /** The wall clock and performance.now() when the batch began: the lines' times follow from them. */
  private wallClockAtStart = 0;
  private monotonicAtStart = 0;
  /** At most one: a batch begun while it runs is written when it fires, sooner than HELD_MS. */
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: LogStream) {}

  hold(fields: LoggerFields, context: RequestContext, status: number): void {
    const { req, principal } = context;
    const now = performance.now();
    if (this.count === 0) this.begin(now);
    const i = this.count++;
    this.fields[i] = fields;
    this.requestIds[i] = context.requestId;
    this.methods[i] = req.method;
    // Express rewrites req.url inside a mounted router (`/v1.0` + `/me/photo`); originalUrl keeps what the client asked.
    this.urls[i] = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
    this.clients[i] = context.clientAddress;
    this.users[i] = principal?.username;
    this.attemptedUsers[i] = context.attemptedUser;
    this.statuses[i] = status;
    this.startedAt[i] = context.startedAt;
    this.endedAt[i] = now;
    if (this.count === HELD_MAX) this.writeLines();
  }

  private begin(now: number): void {
    this.wallClockAtStart = Date.now();
    this.monotonicAtStart = now;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.writeLines();
    }, HELD_MS).unref();
    withHeldLines.add(this);
  }

  writeLines(): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    withHeldLines.delete(this);
    for (let i = 0; i < count; i++) {
      this.stream.destination.write(this.line(i));
      this.requestIds[i] = this.urls[i] = this.clients[i] = '';
      this.users[i] = this.attemptedUsers[i] = undefined;
    }
  }

  private line(i: number): string {
    const url = this.urls[i]!;
    const queryStart = url.indexOf('?');
    const path = queryStart < 0 ? url : url.slice(0, queryStart);
    const time = Math.round(this.wallClockAtStart + this.endedAt[i]! - this.monotonicAtStart);
    const elapsedMs = Math.round((this.endedAt[i]! - this.startedAt[i]!) * 10) / 10;
    const { level, bindings } = this.fields[i]!;
    const user = this.users[i];
    const attemptedUser = this.attemptedUsers[i];
    // The request id and the method are already JSON-safe (request-id.ts checks the one,
    // Node's parser the other); the rest comes from the client and is quoted by jsonString.
    return (
      `{"level":${level},"time":${time}${bindings},"reqId":"${this.requestIds[i]!}","method":"${this.methods[i]!}"` +
      `,"path":${jsonString(clip(withoutAddresses(path), LOGGED_PATH_MAX))}` +
      `,"status":${this.statuses[i]!},"ms":${elapsedMs},"client":${jsonString(this.clients[i]!)}` +
      (user !== undefined ? `,"user":${jsonString(user)}` : '') +
      (attemptedUser !== undefined ? `,"attemptedUser":${jsonString(clip(attemptedUser, LOGGED_NAME_MAX))}` : '') +
      ',"msg":"request"}\n'
    );
  }
}

/**
 * The path less the addresses in it, as the query string is left out: Graph's
 * `users/{upn}/photo`, Autodiscover's `autodiscover.json/v1.0/{address}` and the admin
 * routes name whom they are about in the path. A segment with an `@` (or an encoded one) is
 * written `{address}`; the line's `user` still says who asked.
 */
function withoutAddresses(path: string): string {
  if (!path.includes('@') && !ENCODED_AT.test(path)) return path;
  return path
    .split('/')
    .map((segment) => (segment.includes('@') || ENCODED_AT.test(segment) ? '{address}' : segment))
    .join('/');
}
/** `%40`, and `%2540` and deeper: a client may encode the `@` twice, and a route decode it so. */
const ENCODED_AT = /%(?:25)*40/i;

/** Printable ASCII without `"` and `\\`: written between quotes as it is. */
const NEEDS_NO_ESCAPING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal; JSON.stringify only for the rare value that needs escaping (it costs several times the test). */
function jsonString(value: string): string {
  return NEEDS_NO_ESCAPING.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** Longer paths are cut: no URL the bridge serves comes near, and a hostile one must not flood the log. */
const LOGGED_PATH_MAX = 512;
/** Longer names a failed login tried are cut: an address is at most 254 characters, and a header may carry 4 KiB of name on every throttled attempt. */
export const LOGGED_NAME_MAX = 320;

/** Batches holding lines now: they are written when the process exits, ahead of the stream's own last write (BatchedLines). */
const withHeldLines = new Set<HeldLines>();
process.prependListener('exit', () => {
  for (const held of [...withHeldLines]) held.writeLines();
});

/** A logger's own part of its access lines: its info level and base fields (`,"service":…`). */
interface LoggerFields {
  level: number;
  bindings: string;
}

interface Sink {
  held: HeldLines;
  fields: LoggerFields;
}

/**
 * A logger's sink, kept on the logger itself (a WeakMap lookup per request cost the photo
 * hot path more than the rest of the access log's work) as its own property: a child
 * logger inherits its parent's properties, not its bindings.
 */
const SINK = Symbol('access log sink');
type WithSink = Logger & { [SINK]?: Sink };

/** One batch per stream, shared by the loggers writing to it, so their lines keep their order. */
function sinkOf(log: WithSink): Sink {
  let sink = Object.hasOwn(log, SINK) ? log[SINK] : undefined;
  if (!sink) {
    const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
    if (!(stream instanceof LogStream)) throw new Error('the access log needs a logger made by createLogger');
    const held = stream.heldLines instanceof HeldLines ? stream.heldLines : (stream.heldLines = new HeldLines(stream));
    const bindings = JSON.stringify(log.bindings()).slice(1, -1);
    sink = { held, fields: { level: log.levels.values.info!, bindings: bindings === '' ? '' : `,${bindings}` } };
    log[SINK] = sink;
  }
  return sink;
}
