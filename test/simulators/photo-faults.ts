import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pngBomb } from '../support/sample-images.js';

/**
 * Made as the module loads, before any test runs: made on the first bomb queued, it held the
 * test process's event loop 100 ms and more as the simulator answered, and on a loaded machine
 * past the bridge's 1 s source timeout, whose retry got a real photo (graph.test.ts' 'image bomb').
 */
const BOMB = pngBomb(20_000, 20_000);

/** One way a photo request can go wrong upstream. */
export type PhotoFault =
  /** Answers normally, but only after this long. */
  | { kind: 'slow'; ms: number }
  /** Answers normally once the promise `until` gives, called as the request arrives, settles: a test holds the request as long as it likes. */
  | { kind: 'held'; until: () => Promise<void> }
  /** Answers this status, with Retry-After when given. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** 302 to another address (the bridge must not follow). */
  | { kind: 'redirect'; location: string }
  /** 200 image/jpeg whose bytes are no image at all. */
  | { kind: 'garbage' }
  /** 200 image/png that claims 20000×20000 pixels in a few hundred bytes. */
  | { kind: 'bomb' }
  /** 200 image/jpeg at once, then a body of `bytes` one byte every `everyMs`; `closed` hears how many were sent when the connection ended. */
  | { kind: 'trickle'; bytes: number; everyMs: number; closed?: (sent: number) => void };

/**
 * Plays the next queued fault, if any, on a photo request. Returns true when the fault
 * answered the request; false when the normal answer should follow (no fault, or slow).
 * `errorBody` is the upstream's own error JSON for a status.
 */
export async function playFault(queue: PhotoFault[], res: ServerResponse, errorBody: (status: number) => unknown): Promise<boolean> {
  const fault = queue.shift();
  if (!fault) return false;
  switch (fault.kind) {
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return false;
    case 'held':
      await fault.until();
      return false;
    case 'status':
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter && { 'retry-after': fault.retryAfter }) });
      res.end(JSON.stringify(errorBody(fault.status)));
      return true;
    case 'redirect':
      res.writeHead(302, { location: fault.location });
      res.end();
      return true;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(randomBytes(2048));
      return true;
    case 'bomb':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(BOMB);
      return true;
    case 'trickle': {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': fault.bytes });
      let sent = 0;
      const drip = setInterval(() => {
        res.write(Buffer.alloc(1));
        if (++sent === fault.bytes) res.end();
      }, fault.everyMs);
      res.once('close', () => {
        clearInterval(drip);
        fault.closed?.(sent);
      });
      return true;
    }
  }
}

/** The same fault, `times` times over (a fault that outlasts the retries). */
export function repeated(fault: PhotoFault, times: number): PhotoFault[] {
  return Array.from({ length: times }, () => fault);
}
