import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

/**
 * One line per request once the response is sent. The query string is left out:
 * it carries the addresses people looked up.
 */
export function logWhenFinished(log: Logger, req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const started = performance.now();
  res.once('finish', () => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    log.info(
      {
        reqId: requestId,
        method: req.method,
        path: query < 0 ? url : url.slice(0, query),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        user: (res as ServerResponse & { principal?: string }).principal,
      },
      'request',
    );
  });
}
