import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

/**
 * One line per request. The query string is left out: it carries the addresses
 * people looked up.
 */
export function logRequest(log: Logger, req: IncomingMessage, status: number, startedAt: number, requestId: string, user?: string): void {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  log.info(
    {
      reqId: requestId,
      method: req.method,
      path: query < 0 ? url : url.slice(0, query),
      status,
      ms: Math.round((performance.now() - startedAt) * 10) / 10,
      user,
    },
    'request',
  );
}

/** For handlers that answer later or in several places: the line is written once the response is sent. */
export function logWhenFinished(log: Logger, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const startedAt = performance.now();
  res.once('finish', () => logRequest(log, req, res.statusCode, startedAt, requestId, (res as ServerResponse & { principal?: string }).principal));
}
