import { child, textOf } from '../ews/soap-args.js';
import { MalformedEnvelope, readXmlDocument } from '../ews/soap-reader.js';
import { element, text } from '../ews/xml.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { mailboxDatabaseDn, POX_SERVER_VERSION, serverDn, userDn, type AdvertisedUrls } from './exchange-server.js';
import { findMailbox, type Mailbox } from './mailboxes.js';
import { POX_BASE_NS, POX_REQUEST_NS, POX_RESPONSE_NS } from './namespaces.js';

/**
 * The errors of MS-OXDSCLI (ErrorCode): 500 the address is no mailbox here — with the
 * words Exchange uses, which exchangelib matches to tell "no such mailbox" from a broken
 * server —, 600 the request is not one, 601 the client asked for a response schema other
 * than Outlook's (an ActiveSync device's mobilesync schema, say).
 */
const ADDRESS_NOT_FOUND = { code: 500, message: "The email address can't be found." };
const INVALID_REQUEST = { code: 600, message: 'Invalid Request' };
const PROVIDER_NOT_AVAILABLE = { code: 601, message: 'Provider is not available' };

/**
 * Answers one POX Autodiscover body (`Autodiscover/Request` in Outlook's 2006 request
 * schema: EMailAddress, AcceptableResponseSchema). The answer is always HTTP 200 and
 * starts with the XML declaration (exchangelib checks the first bytes): the settings in
 * `outlook/responseschema/2006a`, or an Error in the base 2006 schema.
 */
export async function answerPoxAutodiscover(body: string, context: AutodiscoverContext): Promise<string> {
  let root;
  try {
    root = readXmlDocument(body);
  } catch (error) {
    if (error instanceof MalformedEnvelope) return errorAnswer(INVALID_REQUEST);
    throw error;
  }
  const request = child(root, 'Request');
  const address = textOf(child(request, 'EMailAddress'));
  if (root.local !== 'Autodiscover' || root.ns !== POX_REQUEST_NS || address === '') return errorAnswer(INVALID_REQUEST);
  if (textOf(child(request, 'AcceptableResponseSchema')) !== POX_RESPONSE_NS) return errorAnswer(PROVIDER_NOT_AVAILABLE);
  const mailbox = await findMailbox(context.store, address, context.callerMailbox);
  return mailbox ? settingsAnswer(mailbox, context.urls) : errorAnswer(ADDRESS_NOT_FOUND);
}

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/**
 * Two protocols, as Exchange lists them: EXCH (inside the network) and EXPR (outside);
 * the bridge is the same server from both sides. Clients read EwsUrl (ASUrl is the older
 * name of the same URL), and the version from EXCH's ServerVersion.
 */
function settingsAnswer(mailbox: Mailbox, urls: AdvertisedUrls): string {
  const endpoints = [text('ASUrl', urls.ews), text('EwsUrl', urls.ews), text('OOFUrl', urls.ews)];
  const inside = element(
    'Protocol',
    {},
    text('Type', 'EXCH'),
    text('Server', urls.server),
    text('ServerDN', serverDn(urls.server)),
    text('ServerVersion', POX_SERVER_VERSION),
    text('MdbDN', mailboxDatabaseDn(urls.server)),
    ...endpoints,
  );
  const outside = element(
    'Protocol',
    {},
    text('Type', 'EXPR'),
    text('Server', urls.server),
    text('SSL', urls.ews.startsWith('https:') ? 'On' : 'Off'),
    ...endpoints,
  );
  const user = element(
    'User',
    {},
    text('DisplayName', mailbox.displayName),
    text('LegacyDN', userDn(mailbox.alias)),
    text('AutoDiscoverSMTPAddress', mailbox.email),
  );
  const account = element('Account', {}, text('AccountType', 'email'), text('Action', 'settings'), inside, outside);
  return DECLARATION + element('Autodiscover', { xmlns: POX_BASE_NS }, element('Response', { xmlns: POX_RESPONSE_NS }, user, account));
}

/** `Time` is the time of day the error was made, as Exchange writes it. */
function errorAnswer(error: { code: number; message: string }): string {
  const failure = element(
    'Error',
    { Time: new Date().toISOString().slice(11, 23) },
    text('ErrorCode', error.code),
    text('Message', error.message),
    '<DebugData/>',
  );
  return DECLARATION + element('Autodiscover', { xmlns: POX_BASE_NS }, element('Response', { xmlns: POX_BASE_NS }, failure));
}
