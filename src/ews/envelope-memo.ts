import type { Socket } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { ReadRequest } from './read-request.js';

/**
 * Clients repeat the same envelope (a photo poll, a lookup), and reading one is a pure
 * function of its bytes, so what it read as is remembered — only after the caller
 * authenticated, for bodies of a few kilobytes, bounded by the memory they hold. A body and
 * what it read as held 1.7–3 times the body's length, and half a kilobyte more (a photo
 * request 677 bytes for 383, a FindItem 1,586 for 521, a GetItem of 250 ids 25.6 KB for
 * 15.2); counted by the body's length alone, 10,000 of them held 55 MB. Refusals are not
 * remembered: no client repeats one, and each kept an error with its stack.
 */
const MEMO_MAX_BODY = 16 * 1024;
const MEMO_MAX_BYTES = 16 * 1024 * 1024;
const memoBytes = (body: string) => 2 * body.length + 512;

/**
 * The envelope a connection sent last, as read, kept on its socket: a keep-alive client
 * polling a photo sends the same bytes each time, and comparing them costs a tenth of
 * hashing them for the memo (0.1 against 0.75 µs for a 477-byte GetUserPhoto; server CPU
 * a SOAP photo ×0.96 under load). They are compared as bytes, before they are decoded:
 * decoding them cost another 0.37 µs; so the Content-Type they came with is compared too, as
 * its charset says how they decode (the same bytes in UTF-7, which is refused, were served as
 * the UTF-8 sent before them). Kept as a copy of at most MEMO_MAX_BODY a
 * connection (the body as read is a view of a whole socket read), gone with the connection.
 */
const LAST_READ = Symbol('the envelope this connection sent last, as read');
/** Buffer's `equals`, called as is: looked up on the Buffer, optimised code made a generic property lookup for it on every request (as for access-log.ts's copies). */
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call on a Buffer, its own receiver
const bufferEquals = (Buffer.prototype as Buffer).equals;
type Connection = Socket & { [LAST_READ]?: { bytes: Buffer; contentType: string | undefined; read: ReadRequest } };

/** A request's body as read, for the memo; none for the envelope its connection sent last. */
export interface NewEnvelope {
  bytes: Buffer;
  contentType: string | undefined;
  text: string;
  /** Read just now, not remembered by the memo. */
  fresh: boolean;
}

/** What envelopes read as: the ones any caller sent (by their text), and the one each connection sent last (by its bytes). */
export class EnvelopeMemo {
  private readonly remembered = new LRUCache<string, ReadRequest>({ max: 10_000, maxSize: MEMO_MAX_BYTES, sizeCalculation: (_read, body) => memoBytes(body) });

  /** What these bytes read as, when they are the envelope this connection sent last, under the same Content-Type. */
  lastOn(socket: Socket, bytes: Buffer, contentType: string | undefined): ReadRequest | undefined {
    const last = (socket as Connection)[LAST_READ];
    return last !== undefined && last.contentType === contentType && bufferEquals.call(last.bytes, bytes) ? last.read : undefined;
  }

  /** What an envelope (`bytes` decoded as `text`) read as, when it is remembered. */
  known(bytes: Buffer, text: string): ReadRequest | undefined {
    return bytes.length <= MEMO_MAX_BODY ? this.remembered.get(text) : undefined;
  }

  /** Remembers what a new envelope read as: for every caller, unless it was refused, and as the one this connection sent last. */
  remember(socket: Socket, envelope: NewEnvelope, read: ReadRequest): void {
    if (envelope.bytes.length > MEMO_MAX_BODY) return;
    if (envelope.fresh && read.kind !== 'refused') this.remembered.set(envelope.text, read);
    (socket as Connection)[LAST_READ] = { bytes: Buffer.from(envelope.bytes), contentType: envelope.contentType, read };
  }
}
