import { IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { BridgeError } from '../domain/errors.js';
import { pieceDropper } from './lingering-close.js';

/** What a refused or cut body is handed over as: no bytes, shared, since none can be written into it. */
const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole body of a message (a request, or an upstream's answer) and hands it to
 * `done`, refusing it with 413 as soon as it is over `maxBytes` — by its Content-Length
 * before a byte is read, or while reading a chunked one — so a large body is never
 * buffered. A callback rather than a promise: this runs on every SOAP request, and the
 * answer can often be written in the same turn.
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (error: Error | undefined, body: Buffer) => void): void {
  const { headers } = req;
  const refusal = declaresMoreThan(headers, maxBytes) ? BridgeError.bodyTooLarge(maxBytes) : encodedBody(headers);
  if (refusal) {
    req.on('data', pieceDropper(req));
    done(refusal, EMPTY);
    return;
  }
  sendContinue(req);
  const body = new BodyPieces(maxBytes);
  let finished = false;
  const finish = (error: Error | undefined, whole: Buffer) => {
    if (finished) return;
    finished = true;
    if (error) req.on('data', pieceDropper(req));
    done(error, whole);
  };
  if (req instanceof DirectBodyMessage) {
    readDirectly(req, body, finish);
    return;
  }
  // A message already closed has had its 'close', and has no 'end' to come.
  if (req.destroyed) {
    finish(BridgeError.connectionClosed(), EMPTY);
    return;
  }
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    const error = body.add(chunk);
    if (error) finish(error, EMPTY);
  });
  // 'end' and 'close' come once each, so plain listeners do: `once` wraps each in a closure of its own.
  req.on('end', () => finish(undefined, body.whole()));
  // A message's only errors are its connection's, and every message closes, after its 'end'
  // too: 'close' before 'end' is the error, made only when it is the answer (an Error's
  // stack cost every SOAP request 14 µs of server CPU under load). With no 'error'
  // listener, node:http emits no 'error' on a message (IncomingMessage#_destroy).
  req.on('close', () => finish(BridgeError.connectionClosed(), EMPTY));
}

/** A message's Content-Encoding other than `identity`: a request's, or an upstream's answer, which is asked for none (a gzip of 100 KB is 100 MB of zeros). */
function encodedBody(headers: IncomingHttpHeaders): BridgeError | undefined {
  const coding = headers['content-encoding'];
  return coding === undefined || /^\s*identity\s*$/i.test(coding) ? undefined : BridgeError.bodyEncoded(coding);
}

/** Reads a front-door request's body as the parser hands it over (DirectBodyMessage), after what came before it was asked for. */
function readDirectly(req: DirectBodyMessage, body: BodyPieces, finish: (error: Error | undefined, whole: Buffer) => void): void {
  // What came while the caller's login was checked waits in the stream.
  const error = req.readableLength > 0 ? body.add(req.read() as Buffer) : undefined;
  if (error) finish(error, EMPTY);
  else if (req.complete) finish(undefined, body.whole());
  else if (req.destroyed) finish(BridgeError.connectionClosed(), EMPTY);
  else
    req.reader = {
      add(chunk) {
        const tooMuch = body.add(chunk);
        if (!tooMuch) return;
        req.reader = undefined;
        finish(tooMuch, EMPTY);
      },
      end() {
        req.reader = undefined;
        finish(undefined, body.whole());
      },
      closed() {
        req.reader = undefined;
        finish(BridgeError.connectionClosed(), EMPTY);
      },
    };
}

/** Where a request's body goes as the parser reads it, once readBody wants it. */
interface BodyReader {
  add(chunk: Buffer): void;
  end(): void;
  closed(): void;
}

/**
 * Requests whose body no one read is dropped rather than read to its end: the front door's,
 * and those Express answers, whose prototype it is made from (app.ts). node:http reads such
 * a body once the answer is out (resOnFinish calls `_dump`), however it comes, a parser
 * callback a piece: a body trickled in one-byte chunks after a 401, 404 or 405 cost the
 * event loop that for as long as the request timeout let it (four such clients held
 * `/healthz` at 230 ms). Here it is dropped as a refused SOAP body is: past
 * DROPPED_PIECES_MAX pieces the connection is read no more, and closed. Not marked dumped,
 * which has the parser drop the pieces before anyone can count them.
 */
export class UnreadBodyDropping extends IncomingMessage {
  _dump(): void {
    if (this.complete || this.readingBody()) {
      nodeMessage._dump.call(this);
      return;
    }
    this.removeAllListeners('data');
    // Flowing even if someone paused it, as node's own _dump has it.
    this.on('data', pieceDropper(this)).resume();
  }

  /** Whether something still takes the body as it comes, past the stream. */
  protected readingBody(): boolean {
    return false;
  }
}

/** node:http's own message, with the `_dump` its typings leave out: it removes every 'data' listener and lets the body flow. */
const nodeMessage = IncomingMessage.prototype as unknown as { _dump(this: IncomingMessage): void };

/**
 * The front door's requests. node:http hands a request's body to its `push`, piece by piece
 * and then null, as the parser reads it; once readBody wants the body, the pieces go straight
 * to it rather than through the stream: no readable buffer, no flowing mode, no 'data' and
 * 'end' events and the ticks they take, and a SOAP envelope that came with its head is
 * answered in the same pass of the parser, as a GET is. Until then, and for any other reader,
 * it is node's own stream.
 */
export class DirectBodyMessage extends UnreadBodyDropping {
  reader: BodyReader | undefined = undefined;

  override push(chunk: Buffer | null, encoding?: BufferEncoding): boolean {
    const reader = this.reader;
    if (reader === undefined) return super.push(chunk, encoding);
    if (chunk !== null) {
      reader.add(chunk);
      return true;
    }
    super.push(null);
    reader.end();
    return false;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.reader?.closed();
    super._destroy(error, callback);
  }

  protected override readingBody(): boolean {
    return this.reader !== undefined;
  }
}

/**
 * A body as it comes, refused as soon as it is over its bytes or pieces. A body in one piece
 * (the common case) is kept as it came; the pieces of any other are copied into one buffer as
 * they come, grown by doubling. Kept as a list, each piece cost its own Buffer object and held
 * the whole socket read it was cut from: a 10 MiB upload sent in chunks of one byte took the
 * RSS to 4 GB.
 */
class BodyPieces {
  private first: Buffer | undefined;
  private joined: Buffer | undefined;
  private length = 0;
  private pieces = 0;
  private readonly maxPieces: number;

  constructor(private readonly maxBytes: number) {
    this.maxPieces = maxPiecesOf(maxBytes);
  }

  /** Takes a piece; the error that refuses the body, when it is one too many. */
  add(chunk: Buffer): BridgeError | undefined {
    const total = this.length + chunk.length;
    if (total > this.maxBytes || ++this.pieces > this.maxPieces) {
      this.first = this.joined = undefined;
      return total > this.maxBytes ? BridgeError.bodyTooLarge(this.maxBytes) : BridgeError.bodyInTooManyPieces(this.maxPieces);
    }
    if (this.length === 0) {
      this.first = chunk;
    } else {
      if (!this.joined || total > this.joined.length) {
        const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(2 * total, FIRST_JOINED_BYTES)));
        (this.joined ?? this.first!).copy(grown, 0, 0, this.length);
        this.joined = grown;
        this.first = undefined;
      }
      chunk.copy(this.joined, this.length);
    }
    this.length = total;
    return undefined;
  }

  whole(): Buffer {
    return this.joined ? this.joined.subarray(0, this.length) : (this.first ?? EMPTY);
  }
}

/** The responses whose 100 Continue waits until their request's body is wanted: few, asked for every body read (a WeakMap answers a miss at once, as request-context.ts says). */
const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

/**
 * Holds the 100 Continue of a request that expects one until readBody wants its body. Until
 * then its answer closes the connection: a client refused without a 100 need not send the
 * body (RFC 9110 §10.1.1), and bytes it does send would be read as its next request.
 */
export function holdContinue(req: IncomingMessage, res: ServerResponse): void {
  // No content is to come: nothing to invite, no stray bytes to fear. node:http keeps a connection
  // only once a 100 went out, and a GET with the header lost its connection (and the requests behind it).
  if (req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0') {
    res.writeContinue();
    return;
  }
  awaitingContinue.set(req, res);
  res.setHeader('connection', 'close');
}

function sendContinue(req: IncomingMessage): void {
  const res = awaitingContinue.get(req);
  if (!res) return;
  awaitingContinue.delete(req);
  res.removeHeader('connection');
  res.writeContinue();
}

/**
 * The pieces (chunks of the chunked encoding, or socket reads) a body may come in: on
 * average 64 bytes each, and never fewer than 1,024 pieces. Each costs the parser a
 * callback, so a 1 MiB body sent in one-byte chunks (6 MB on the wire) took 2.6 s of the
 * event loop to read, where clients send kilobytes a piece.
 */
function maxPiecesOf(maxBytes: number): number {
  return Math.max(1024, Math.ceil(maxBytes / 64));
}

/** The first size of a body that came in pieces: a SOAP envelope fits. */
const FIRST_JOINED_BYTES = 16 * 1024;

/** Whether a message's Content-Length is over `maxBytes`: refused with 413 before any login or byte of it. Takes the headers: a request's `headers` is a getter in node:http, dearer than a property, so a caller that has them passes them on. */
export function declaresMoreThan(headers: IncomingHttpHeaders, maxBytes: number): boolean {
  return declaredLength(headers) > maxBytes;
}

/**
 * The body length a message's Content-Length declares, as `Number` reads it: NaN without one.
 * A SOAP request's is read three times (the front door, the body budget, readBody), and
 * `Number` of a string the parser just made is a call into V8's runtime (callgrind: some 150
 * instructions each); its digits, which are all llhttp lets through, are read here.
 */
export function declaredLength(headers: IncomingHttpHeaders): number {
  const value = headers['content-length'];
  if (value === undefined || value.length === 0 || value.length > MAX_PLAIN_DIGITS) return Number(value);
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - DIGIT_ZERO;
    if (digit < 0 || digit > 9) return Number(value);
    length = length * 10 + digit;
  }
  return length;
}
const DIGIT_ZERO = 0x30;
/** Up to 15 digits a whole number adds up exactly, as `Number` reads it; longer ones are left to `Number`. */
const MAX_PLAIN_DIGITS = 15;
