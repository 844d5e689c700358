import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { BridgeError } from '../domain/errors.js';
import { mailboxOf, type RequestContext } from '../http/request-context.js';

/**
 * Conversions and placeholders one caller may have made at once, and waiting: each is a
 * fresh encode on libuv's four threads (AVIF 120–240 ms), so one login asking 48 distinct
 * ones at once made other users' first photos wait 2–7 s. A caller's own burst (a page of
 * photos through an HTTP/2 proxy) waits its turn; past the queue it is told to come back.
 */
const CONVERSIONS_AT_ONCE = 4;
const CONVERSIONS_WAITING = 64;
const converting = new Map<string, BulkheadPolicy>();

/** Runs `make` (a photo that may need converting) in the caller's turn; ErrorServerBusy when the caller has a full queue already. */
export async function inCallersTurn<T>(context: RequestContext, make: () => Promise<T>): Promise<T> {
  const caller = mailboxOf(context) ?? `address ${context.clientAddress}`;
  let slots = converting.get(caller);
  if (!slots) converting.set(caller, (slots = bulkhead(CONVERSIONS_AT_ONCE, CONVERSIONS_WAITING)));
  try {
    return await slots.execute(make);
  } catch (error) {
    if (isBulkheadRejectedError(error)) throw BridgeError.serverBusy('too many converted photos of yours are being made; try again shortly', 1);
    throw error;
  } finally {
    // Gone once idle: many callers leave nothing behind.
    if (slots.executionSlots === CONVERSIONS_AT_ONCE && slots.queueSlots === CONVERSIONS_WAITING) converting.delete(caller);
  }
}
