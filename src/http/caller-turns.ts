import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { BridgeError } from '../domain/errors.js';
import type { Turn } from '../photos/photo-service.js';
import { clientNetwork } from './addressing.js';
import { mailboxOf, type RequestContext } from './request-context.js';

/**
 * Images one caller may have made at once, and waiting: every rendition no cache holds (a
 * resize, a conversion, a placeholder) takes one of libuv's four threads, which everyone's
 * first photos need. Conversions alone were limited at first (AVIF encodes 120–240 ms:
 * one login asking 48 at once made other users' first photos wait 2–7 s); plain resizes
 * were not, so one caller's burst (a hundred photos at once, ResolveNames with full
 * contact data) queued ahead of everyone in libuv's one queue. A caller's own burst waits
 * its turn; past the queue it is told to come back. Two at once, as decodes: with four, one
 * caller's conversions held every thread, and another's first photo waited a round of them.
 */
export const MADE_AT_ONCE = 2;
/**
 * As many as one client may have connections open (BRIDGE_MAX_CONNECTIONS_PER_CLIENT's
 * default): a page of a few hundred photos, sent over HTTP/2 through a proxy, asks for
 * them all at once, and a browser shows a refused image broken, never asking again. With
 * 64 waiting, 134 of a page of 200 photos no cache held were refused.
 */
export const MADE_WAITING = 256;
const making = new Map<string, BulkheadPolicy>();

/** The caller's turn: runs what it is given (an image to make) in it; ErrorServerBusy when the caller has a full queue already. */
export function callerTurn(context: RequestContext): Turn {
  return async (make) => {
    const caller = mailboxOf(context) ?? `address ${clientNetwork(context.clientAddress)}`;
    let slots = making.get(caller);
    if (!slots) making.set(caller, (slots = bulkhead(MADE_AT_ONCE, MADE_WAITING)));
    try {
      return await slots.execute(make);
    } catch (error) {
      if (isBulkheadRejectedError(error)) throw BridgeError.serverBusy('too many photos of yours are being made; try again shortly', 1);
      throw error;
    } finally {
      // Gone once idle: many callers leave nothing behind.
      if (slots.executionSlots === MADE_AT_ONCE && slots.queueSlots === MADE_WAITING) making.delete(caller);
    }
  };
}
