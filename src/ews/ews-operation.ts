import { BridgeError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { SearchBudget } from '../http/search-budget.js';
import type { PhotoService, Turn } from '../photos/photo-service.js';
import type { Store } from '../store/store.js';
import type { TimePrecision } from './ews-time.js';
import type { ItemIds } from './item-ids.js';
import type { XmlElement } from './soap-reader.js';

/** Who may call an operation: a photo read is anonymous when the operator allows it; the rest need a login. */
export type OperationNeed = 'photo' | 'user';

/** How much one request may ask for and be answered: settings, the same for every operation. */
export interface EwsLimits {
  /** Ids in one GetItem or GetAttachment. */
  maxItemsPerRequest: number;
  /** Bytes of one answer; items beyond it are answered with ErrorMessageSizeExceeded. */
  maxAnswerBytes: number;
}

/** What an operation may use: the caller's mailbox and the services behind the front door. */
export interface EwsContext {
  /** The authenticated account's mailbox (its SMTP address); undefined for anonymous reads. */
  mailbox: string | undefined;
  /** Which of the mailboxes the request names are the caller's own (own-mailboxes.ts). */
  ownMailboxes: ReadonlySet<string>;
  store: Store;
  /** Each account's share of the store's time for searches. */
  searches: SearchBudget;
  photos: PhotoService;
  /** The caller's share of the image threads: photos no cache holds are made in it. */
  turn: Turn;
  ids: ItemIds;
  log: Logger;
  requestId: string;
  /** When the request came (performance.now()). */
  startedAt: number;
  photoMaxAgeSeconds: number;
  ifNoneMatch: string | undefined;
  limits: EwsLimits;
  /** How precisely the answer writes times: the request's DateTimePrecision header (ews-time.ts). */
  timePrecision: TimePrecision;
}

/** What an answer's items are written with: their ids, and their times at the request's precision. */
export type ItemWriting = Pick<EwsContext, 'ids' | 'timePrecision'>;

export interface SoapAnswer {
  /** 200 unless the protocol says otherwise (GetUserPhoto's 404 for "no photo"). */
  status: number;
  headers: Record<string, string>;
  /**
   * The content of soap:Body: one string, or fragments written out as they are made —
   * or, for answers remembered whole, the complete envelope already encoded (a Buffer).
   */
  body: string | Buffer | AsyncIterable<string>;
}

/**
 * One EWS operation: `read` turns the request element into typed arguments (once; the
 * result may be remembered for identical requests, so it must not depend on who asks) —
 * comparing times at the `precision` its headers ask, whole seconds without one —,
 * `run` answers them, `refuse` answers arguments that `read` rejected.
 */
export interface EwsOperation<Args = unknown> {
  need: OperationNeed;
  read(request: XmlElement, limits: EwsLimits, precision: TimePrecision): Args;
  run(args: Args, context: EwsContext): Promise<SoapAnswer> | SoapAnswer;
  refuse(error: BridgeError): SoapAnswer;
}

export const soapAnswer = (body: SoapAnswer['body'], status = 200, headers: Record<string, string> = {}): SoapAnswer => ({ status, headers, body });

/**
 * Runs an operation whose errors are its answer's own (a folder not found, a request it
 * cannot answer): a BridgeError becomes `refuse(error)`, but a busy store or search share,
 * which is the request's — the endpoint's fault with its back-off.
 */
export async function refusingErrors(work: () => Promise<SoapAnswer>, refuse: (error: BridgeError) => SoapAnswer): Promise<SoapAnswer> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BridgeError && error.responseCode !== 'ErrorServerBusy') return refuse(error);
    throw error;
  }
}
