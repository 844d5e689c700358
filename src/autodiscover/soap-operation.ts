import { textOf } from '../ews/soap-args.js';
import type { XmlElement } from '../ews/soap-reader.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { AUTODISCOVER_NS } from './namespaces.js';
import { invalidRequest, type RequestError } from './soap-messages.js';

/**
 * One SOAP Autodiscover operation: `read` turns `{name}RequestMessage` into arguments, or
 * throws a request-wide RequestError; `run` answers them with `{name}ResponseMessage`.
 */
export interface AutodiscoverOperation<Args = unknown> {
  name: string;
  read(request: XmlElement): Args;
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

/** Refuses a request naming `names` users or domains and `settings` settings, when it asks for too many answers (MAX_ANSWERED_SETTINGS). */
export function checkAnswerCount(names: number, settings: number, kind: 'users' | 'domains'): void {
  if (names * settings > MAX_ANSWERED_SETTINGS)
    throw invalidRequest(`The request asks for ${settings} settings of ${names} ${kind}: at most ${MAX_ANSWERED_SETTINGS} answers in all.`);
}

/** `Request/RequestedSettings/Setting`, each name once, in request order. */
export function requestedSettings(request: XmlElement | undefined): string[] {
  const settings = [...new Set(requestChildren(soleRequestChild(request, 'RequestedSettings'), 'Setting').map(textOf))];
  if (settings.length === 0) throw invalidRequest('The request asks for no setting.');
  if (settings.length > MAX_SETTINGS_PER_REQUEST) throw invalidRequest(`The request asks for more than ${MAX_SETTINGS_PER_REQUEST} settings.`);
  if (settings.some((name) => name.length > MAX_SETTING_NAME)) throw invalidRequest(`A setting name is longer than ${MAX_SETTING_NAME} characters.`);
  return settings;
}

/**
 * The children named `local` of an element of a request message. Its schema (MS-OXWSADISC
 * messages.xsd, elementFormDefault "qualified") has each of them in the Autodiscover
 * namespace: a child in another namespace, or in none, makes the request invalid, where it
 * had been read as if it were the Autodiscover element of its name.
 */
export function requestChildren(element: XmlElement | undefined, local: string): XmlElement[] {
  const stranger = element?.children.find((candidate) => candidate.ns !== AUTODISCOVER_NS);
  if (stranger) throw invalidRequest(`The element '${stranger.local}' in '${element!.local}' is not in the namespace '${AUTODISCOVER_NS}'.`);
  return element ? element.children.filter((candidate) => candidate.local === local) : [];
}

/** A child the schema allows once (maxOccurs 1): a second makes the request invalid, where the first had been answered alone. */
export function soleRequestChild(element: XmlElement | undefined, local: string): XmlElement | undefined {
  const found = requestChildren(element, local);
  if (found.length > 1) throw invalidRequest(`The element '${local}' may occur once in '${element!.local}', not ${found.length} times.`);
  return found[0];
}
