import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked, so the server cannot refuse it by its Content-Length. */
  chunked?: boolean;
  agent?: Agent;
}

export interface RawAnswer {
  /** 0 when the connection was cut before an answer came. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Why the connection failed, when it did. */
  error?: string;
}

/**
 * One request over node:http, without a client library's retries or body handling in
 * the way: a server that answers 413 and closes while the body is still going out is
 * reported as what it answered, and a cut connection as status 0, not as a throw.
 */
export function rawRequest(url: string, options: RawRequest = {}): Promise<RawAnswer> {
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers: Record<string, string> = { ...options.headers };
  if (body && options.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    let answered = false;
    const req = request(url, { method: options.method ?? (body ? 'POST' : 'GET'), headers, agent: options.agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error: error.message }));
    });
    req.on('error', (error) => {
      if (!answered) resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: error.message });
    });
    req.end(body);
  });
}
