import { Router } from 'express';
import { BridgeError } from '../domain/errors.js';
import { allowOnly } from '../http/allowed-methods.js';
import type { Store } from '../store/store.js';

const STORE_UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * `/healthz`: the process answers. `/readyz`: it should get traffic — the store
 * answers, takes writes, and the bridge is not shutting down.
 */
export function createHealthRoutes(store: Store, isDraining: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  router.get('/readyz', async (_req, res) => {
    if (isDraining()) {
      res.status(503).type('text/plain').send('shutting down\n');
      return;
    }
    try {
      await store.ping();
      res.type('text/plain').send('ready\n');
    } catch (error) {
      // What a client that reads it (a probe script, a proxy that honours it) should wait before asking again.
      const reason = error instanceof BridgeError ? error.message : 'store unavailable';
      res.status(503).set('retry-after', String(STORE_UNAVAILABLE_RETRY_SECONDS)).type('text/plain').send(`${reason}\n`);
    }
  });
  allowOnly(router, ['/healthz', '/readyz'], 'GET, HEAD');
  return router;
}
