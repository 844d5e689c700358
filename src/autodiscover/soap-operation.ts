import { child, children, textOf } from '../ews/soap-args.js';
import type { XmlElement } from '../ews/soap-reader.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { invalidRequest, type RequestError } from './soap-messages.js';

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

/**
 * How many settings one request may ask for, and how long a setting's name may be:
 * Exchange defines about a hundred names, none longer than 45 characters. Every setting
 * asked for is answered for every user or domain — a value, or an error that repeats the
 * name twice — so without these bounds one 1 MiB request (100 users × 1,700 unknown
 * names of 400 characters) was answered with 168 MB.
 */
export const MAX_SETTINGS_PER_REQUEST = 128;
export const MAX_SETTING_NAME = 64;

/**
 * Settings answered in all, users (or domains) × settings: a client asks for one user's
 * twenty or so. Within the bounds above, 100 users × 128 unknown names made a 3.9 MB answer
 * from an 18 KB request (40–60 ms of the event loop to write), and 16 such requests
 * pipelined on each of 30 connections held 3 GB.
 */
export const MAX_ANSWERED_SETTINGS = 1_000;

/** Why a request naming `names` users or domains and `settings` settings is refused, if it is (MAX_ANSWERED_SETTINGS). */
export function tooManyAnswers(names: number, settings: number, kind: 'users' | 'domains'): RequestError | undefined {
  if (names * settings <= MAX_ANSWERED_SETTINGS) return undefined;
  return invalidRequest(`The request asks for ${settings} settings of ${names} ${kind}: at most ${MAX_ANSWERED_SETTINGS} answers in all.`);
}

/** `Request/RequestedSettings/Setting`, each name once, in request order; or why the request is refused. */
export function requestedSettings(request: XmlElement | undefined): string[] | RequestError {
  const settings = [...new Set(children(child(request, 'RequestedSettings'), 'Setting').map(textOf))];
  if (settings.length === 0) return invalidRequest('The request asks for no setting.');
  if (settings.length > MAX_SETTINGS_PER_REQUEST) return invalidRequest(`The request asks for more than ${MAX_SETTINGS_PER_REQUEST} settings.`);
  if (settings.some((name) => name.length > MAX_SETTING_NAME)) return invalidRequest(`A setting name is longer than ${MAX_SETTING_NAME} characters.`);
  return settings;
}

export const isRequestError = (value: unknown): value is RequestError =>
  typeof value === 'object' && value !== null && (value as Partial<RequestError>).code === 'InvalidRequest';
