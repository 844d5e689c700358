import type { XmlElement } from '../ews/soap-reader.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import type { RequestError } from './soap-messages.js';

/**
 * One SOAP Autodiscover operation: `read` turns `{name}RequestMessage` into arguments or
 * a request-wide error, `run` answers them with `{name}ResponseMessage`.
 */
export interface AutodiscoverOperation<Args = unknown> {
  name: string;
  read(request: XmlElement): Args | RequestError;
  run(args: Args, context: AutodiscoverContext): Promise<string> | string;
  /** The answer to arguments `read` refused: the same message, with the request-wide error and an empty list. */
  refuse(error: RequestError): string;
}

/** How many users or domains one request may name: a bound of the bridge's own, far above what a client sends. */
export const MAX_NAMES_PER_REQUEST = 100;

/** Characters of a client's value echoed in an error message: an SMTP address's longest. */
export const MAX_ECHOED = 320;

export const isRequestError = (value: unknown): value is RequestError =>
  typeof value === 'object' && value !== null && (value as Partial<RequestError>).code === 'InvalidRequest';
