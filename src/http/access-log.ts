import { pino } from 'pino';
import type { Logger } from '../logger.js';
import type { RequestContext } from './request-context.js';

/**
 * The access log: one JSON line per request, written from its RequestContext, whichever
 * front door answered — the same fields on every path.
 *
 * It runs on every request, the photo hot path included, so the line is built here by
 * hand — pino's generic serialiser would cost more than the rest of a cached answer —
 * and handed to the logger's own destination, which buffers (see logger.ts) and keeps
 * the line in order with the other log lines. It carries pino's fields (level, time,
 * the logger's base fields, msg) and: reqId, method, path, status, ms, client (the
 * peer's address), user (who the request acted as, once authenticated) and
 * attemptedUser (the name a failed login tried; never the password). The query string
 * stays out: it carries the addresses people looked up.
 */
export function logRequest(log: Logger, context: RequestContext, status: number): void {
  if (!log.isLevelEnabled('info')) return;
  const { req, principal, attemptedUser } = context;
  const sink = sinkOf(log);
  // Express rewrites req.url inside a mounted router (`/v1.0` + `/me/photo`); originalUrl keeps what the client asked.
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const elapsedMs = Math.round((performance.now() - context.startedAt) * 10) / 10;
  // The request id and the method are already JSON-safe (request-id.ts checks the one,
  // Node's parser the other); the rest comes from the client and is quoted by jsonString.
  sink.stream.write(
    `${sink.head()}${context.requestId}","method":"${req.method}","path":${jsonString(path.length > LOGGED_PATH_MAX ? `${path.slice(0, LOGGED_PATH_MAX)}…` : path)}` +
      `,"status":${status},"ms":${elapsedMs},"client":${jsonString(context.clientAddress)}` +
      (principal ? `,"user":${jsonString(principal.username)}` : '') +
      (attemptedUser !== undefined ? `,"attemptedUser":${jsonString(attemptedUser)}` : '') +
      ',"msg":"request"}\n',
  );
}

/** Printable ASCII without `"` and `\\`: written between quotes as it is. */
const NEEDS_NO_ESCAPING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal; JSON.stringify only for the rare value that needs escaping (it costs several times the test). */
function jsonString(value: string): string {
  return NEEDS_NO_ESCAPING.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** Longer paths are cut: no URL the bridge serves comes near, and a hostile one must not flood the log. */
const LOGGED_PATH_MAX = 512;

/** For answers sent later or from several places: the line is written once the response is, with the status and user it ended with. */
export function logWhenFinished(log: Logger, context: RequestContext): void {
  context.res.once('finish', () => logRequest(log, context, context.res.statusCode));
}

interface Sink {
  stream: pino.DestinationStream;
  /** The line up to the request id: level, time, the logger's base fields. */
  head(): string;
}

const sinks = new WeakMap<Logger, Sink>();

function sinkOf(log: Logger): Sink {
  let sink = sinks.get(log);
  if (!sink) {
    const bindings = JSON.stringify(log.bindings()).slice(1, -1);
    const fields = bindings === '' ? '' : `,${bindings}`;
    const level = log.levels.values.info;
    // A busy server writes many lines per millisecond: the head is made once per millisecond.
    let madeAt = 0;
    let head = '';
    sink = {
      stream: (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!,
      head() {
        const now = Date.now();
        if (now !== madeAt) {
          madeAt = now;
          head = `{"level":${level},"time":${now}${fields},"reqId":"`;
        }
        return head;
      },
    };
    sinks.set(log, sink);
  }
  return sink;
}
