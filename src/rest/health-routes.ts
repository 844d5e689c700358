import { Router } from 'express';
import type { Store } from '../store/store.js';

/**
 * `/healthz`: the process answers. `/readyz`: it should get traffic — the store
 * answers and the bridge is not shutting down.
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
    } catch {
      res.status(503).type('text/plain').send('store unavailable\n');
    }
  });
  return router;
}
