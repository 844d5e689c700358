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
 * Settings answered InvalidSetting in all, users (or domains) × names Exchange does not
 * define. Those are the answers to bound: each repeats a client's name of up to
 * MAX_SETTING_NAME characters twice, and 100 users × 128 of them made a 3.9 MB answer from
 * an 18 KB request (40–60 ms of the event loop to write; 16 such requests pipelined on each
 * of 30 connections held 3 GB). The names Exchange defines are not counted: Learn's
 * GetUserSettings caps a request at 100 users and sets no bound on users × settings, so a
 * client may ask every one of them for each of 100 users (ews-javascript-api's
 * GetUsersSettings does), an answer bounded by the catalogue's size (settings-catalogue.ts).
 */
export const MAX_INVALID_SETTING_ANSWERS = 1_000;

/**
 * Refuses a request naming `names` users or domains and the `settings` asked for, when too
 * many answers would be InvalidSetting (MAX_INVALID_SETTING_ANSWERS); `defined`: whether
 * a setting is one Exchange defines for the operation.
 */
export function checkAnswerCount(names: number, settings: readonly string[], defined: (setting: string) => boolean, kind: 'users' | 'domains'): void {
  const invalid = settings.filter((setting) => !defined(setting)).length;
  if (names * invalid > MAX_INVALID_SETTING_ANSWERS)
    throw invalidRequest(
      `The request asks for ${invalid} settings Autodiscover does not define, of ${names} ${kind}: at most ${MAX_INVALID_SETTING_ANSWERS} such answers in all.`,
    );
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
 * had been read as if it were the Autodiscover element of its name. One in that namespace
 * the schema does not declare (`<a:Bogus/>`) is passed over, as WCF, which serves
 * Exchange's autodiscover.svc, passes over an element its data contract does not have.
 */
export function requestChildren(element: XmlElement | undefined, local: string): XmlElement[] {
  const stranger = element?.children.find((candidate) => candidate.ns !== AUTODISCOVER_NS);
  if (stranger) throw invalidRequest(`The element '${stranger.local}' in '${element!.local}' is not in the namespace '${AUTODISCOVER_NS}'.`);
  return element ? element.children.filter((candidate) => candidate.local === local) : [];
}

/**
 * A child the schema requires once (minOccurs and maxOccurs 1): without it the request is
 * invalid, where a User without its Mailbox had been answered InvalidUser ''.
 */
export function requiredRequestChild(element: XmlElement, local: string): XmlElement {
  const found = soleRequestChild(element, local);
  if (!found) throw invalidRequest(`The element '${element.local}' has incomplete content. List of possible elements expected: '${local}'.`);
  return found;
}

/** A child the schema allows once (maxOccurs 1): a second makes the request invalid, where the first had been answered alone. */
export function soleRequestChild(element: XmlElement | undefined, local: string): XmlElement | undefined {
  const found = requestChildren(element, local);
  if (found.length > 1) throw invalidRequest(`The element '${local}' may occur once in '${element!.local}', not ${found.length} times.`);
  return found[0];
}
