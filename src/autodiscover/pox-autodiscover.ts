import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { BridgeError } from '../domain/errors.js';
import { soleChild, textOf } from '../ews/soap-args.js';
import { MalformedEnvelope, readXmlDocument, xmlRequestText, type XmlElement, type XmlRequestBody } from '../ews/soap-reader.js';
import { element, text } from '../ews/xml.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { mailboxDatabaseDn, POX_SERVER_VERSION, serverDn, userDn, type AdvertisedUrls } from './exchange-server.js';
import { findMailbox, findMailboxByLegacyDn, type Mailbox } from './mailboxes.js';
import { MOBILESYNC_REQUEST_NS, MOBILESYNC_RESPONSE_NS, POX_BASE_NS, POX_REQUEST_NS, POX_RESPONSE_NS } from './namespaces.js';

/**
 * The errors of MS-OXDSCLI (ErrorCode): 500 the address is no mailbox here — with the
 * words Exchange uses, which exchangelib matches to tell "no such mailbox" from a broken
 * server —, 600 the request is not one, 601 the client asked for a response schema other
 * than Outlook's (an ActiveSync device's mobilesync schema, say). A legacy DN that names
 * no mailbox is a 500 as well: MS-OXDSCLI has no other code for it ("500 The email address
 * cannot be found. The Autodiscover server cannot determine how to provide configuration
 * information for the requested email address").
 */
const ADDRESS_NOT_FOUND = { code: 500, message: "The email address can't be found." };
const INVALID_REQUEST = { code: 600, message: 'Invalid Request' };
const PROVIDER_NOT_AVAILABLE = { code: 601, message: 'Provider is not available' };

const SERVER_ID = createHash('sha256').update(hostname()).digest().readUInt32BE(0);

/**
 * The request schemas read here, each with the namespace its errors' Response is in. An
 * ActiveSync device reads its own: MS-ASCMD's example of a 600 or 601 answer
 * (learn.microsoft.com/openspecs/exchange_server_protocols/ms-ascmd/feb9c8a3-cf87-4150-a1d4-8ddc39ccff45)
 * is `<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">`.
 */
const ERROR_RESPONSE_NS = new Map([
  [POX_REQUEST_NS, POX_BASE_NS],
  [MOBILESYNC_REQUEST_NS, MOBILESYNC_RESPONSE_NS],
]);

/**
 * Answers one POX Autodiscover body (`Autodiscover/Request` in Outlook's 2006 request
 * schema: EMailAddress or LegacyDN, AcceptableResponseSchema — Learn's "Request (POX)":
 * "LegacyDN: Identifies a user's mailbox by legacy distinguished name"). The answer is
 * always HTTP 200 and starts with the XML declaration (exchangelib checks the first bytes):
 * the settings in `outlook/responseschema/2006a`, or an Error. Only Outlook's provider is
 * here, so an ActiveSync device's request is a 601 (MS-ASCMD 2.2.3.64: "601 means that a
 * provider could not be found to handle the AcceptableResponseSchema element value").
 */
export async function answerPoxAutodiscover(body: XmlRequestBody, context: AutodiscoverContext): Promise<string> {
  let root;
  try {
    root = readXmlDocument(xmlRequestText(body));
  } catch (error) {
    if (error instanceof MalformedEnvelope) return errorAnswer(INVALID_REQUEST, POX_BASE_NS);
    throw error;
  }
  const errorNs = root.local === 'Autodiscover' ? ERROR_RESPONSE_NS.get(root.ns) : undefined;
  if (errorNs === undefined) return errorAnswer(INVALID_REQUEST, POX_BASE_NS);
  const request = readRequest(root);
  if (!request) return errorAnswer(INVALID_REQUEST, errorNs);
  const { address, legacyDn } = request;
  if (root.ns !== POX_REQUEST_NS || request.responseSchema !== POX_RESPONSE_NS) return errorAnswer(PROVIDER_NOT_AVAILABLE, errorNs);
  const mailbox = await (address !== ''
    ? findMailbox(context.store, address, context.callerMailbox)
    : findMailboxByLegacyDn(context.store, legacyDn, context.callerMailbox));
  return mailbox ? settingsAnswer(mailbox, context.urls) : errorAnswer(ADDRESS_NOT_FOUND, errorNs);
}

/**
 * The Request's fields, each at most once and text only; undefined when it is no request
 * (600): two EMailAddress were answered for the first, so a mailbox was looked up for
 * half of what was asked.
 */
function readRequest(root: XmlElement): { address: string; legacyDn: string; responseSchema: string } | undefined {
  try {
    const request = soleChild(root, 'Request');
    const address = textOf(soleChild(request, 'EMailAddress'));
    const legacyDn = textOf(soleChild(request, 'LegacyDN'));
    const responseSchema = textOf(soleChild(request, 'AcceptableResponseSchema'));
    return address === '' && legacyDn === '' ? undefined : { address, legacyDn, responseSchema };
  } catch (error) {
    if (error instanceof BridgeError) return undefined;
    throw error;
  }
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

/**
 * `Time` is the time of day the error was made, as Exchange writes it, and `Id` names the
 * server that made it ("an unsigned integer that uniquely identifies the server (within its
 * domain)", MS-ASCMD 2.2.3.63; Learn's Error (POX): a hash of the computer's name);
 * `responseNs` is the namespace of its Response.
 */
function errorAnswer(error: { code: number; message: string }, responseNs: string): string {
  const failure = element(
    'Error',
    { Time: new Date().toISOString().slice(11, 23), Id: SERVER_ID },
    text('ErrorCode', error.code),
    text('Message', error.message),
    '<DebugData/>',
  );
  return DECLARATION + element('Autodiscover', { xmlns: POX_BASE_NS }, element('Response', { xmlns: responseNs }, failure));
}
