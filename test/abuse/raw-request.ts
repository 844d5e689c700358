import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked, so the server cannot refuse it by its Content-Length. */
  chunked?: boolean;
  agent?: Agent;
  /** Give up (status 0) when no answer has come by then. */
  timeoutMs?: number;
}

export interface RawAnswer {
  /** 0 when the connection was cut before an answer came. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Why the connection failed, when it did. */
  error?: string;
}

/** Bodies go out in pieces of this size, so an early answer (413) is read between two of them. */
const PIECE_BYTES = 64 * 1024;

/**
 * One request over node:http, without a client library's retries or body handling in
 * the way. Like curl, it stops sending a body once the server has answered: a server
 * that refuses a large body with 413 and closes is reported as what it answered, and a
 * connection cut before any answer as status 0, not as a throw.
 */
export function rawRequest(url: string, options: RawRequest = {}): Promise<RawAnswer> {
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers: Record<string, string> = { ...options.headers };
  if (body && options.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    let answered = false;
    let wake = () => {};
    const req = request(url, { method: options.method ?? (body ? 'POST' : 'GET'), headers, agent: options.agent }, (res) => {
      answered = true;
      wake();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (!req.writableFinished) req.destroy(); // the body was cut short: this connection cannot carry another request
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error: error.message }));
    });
    req.on('error', (error) => {
      wake();
      if (!answered) resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: error.message });
    });
    if (options.timeoutMs !== undefined) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));

    const send = async (bytes: Buffer) => {
      for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
        if (answered || req.destroyed) return;
        if (!req.write(bytes.subarray(at, at + PIECE_BYTES))) {
          await new Promise<void>((resume) => {
            wake = resume;
            req.once('drain', resume);
          });
        }
        // A turn of the event loop between pieces reads what the server has answered so
        // far; writing on into a connection it has closed would lose that answer to EPIPE.
        await new Promise((resume) => setImmediate(resume));
      }
      req.end();
    };
    if (body && body.length > PIECE_BYTES) void send(body);
    else req.end(body);
  });
}
