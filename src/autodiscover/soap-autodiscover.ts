import { BridgeError } from '../domain/errors.js';
import { soapFault } from '../ews/envelope.js';
import { SOAP_ENVELOPE_NS } from '../ews/namespaces.js';
import { MalformedEnvelope, readSoapRequest, xmlRequestText, type SoapHeaderRules, type XmlElement, type XmlRequestBody } from '../ews/soap-reader.js';
import { escapeXml } from '../ews/xml.js';
import { EXCHANGE_BUILD } from './exchange-server.js';
import { getDomainSettings } from './get-domain-settings.js';
import { getUserSettings } from './get-user-settings.js';
import { AUTODISCOVER_NS, WS_ADDRESSING_NS, XSI_NS } from './namespaces.js';
import type { AutodiscoverContext } from './autodiscover-context.js';
import { invalidRequest, RequestError } from './soap-messages.js';
import type { AutodiscoverOperation } from './soap-operation.js';

/**
 * Operation name (its Action's last segment) → operation. A Map: no request can reach an
 * inherited property. `wsdl/autodiscover/` describes the same operations, a test holds them together.
 */
export const AUTODISCOVER_OPERATIONS: ReadonlyMap<string, AutodiscoverOperation> = new Map<string, AutodiscoverOperation>([
  ['GetUserSettings', getUserSettings],
  ['GetDomainSettings', getDomainSettings],
]);

/**
 * An Autodiscover client's headers: its RequestedServerVersion, and the WS-Addressing Action
 * and To it marks mustUnderstand; the Action is kept, as WCF dispatches on it.
 */
const HEADER_RULES: SoapHeaderRules = { understood: new Set([AUTODISCOVER_NS, WS_ADDRESSING_NS]), kept: { ns: WS_ADDRESSING_NS, locals: new Set(['Action']) } };

const REQUEST_MESSAGE = 'RequestMessage';

export const ACTION_BASE = 'http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/';
/** WS-Addressing's action for a fault (what WCF, which serves Exchange's autodiscover.svc, sends). */
const FAULT_ACTION = `${WS_ADDRESSING_NS}/soap/fault`;

/**
 * Every answer's header: the WS-Addressing Action of the answer, and ServerVersionInfo in
 * the Autodiscover namespace with child elements (MS-OXWSADISC; ews-javascript-api refuses
 * an answer without it). Exchange 2013 and later name their Autodiscover schema Exchange2015.
 */
const SERVER_VERSION_INFO =
  `<h:ServerVersionInfo xmlns:h="${AUTODISCOVER_NS}" xmlns:i="${XSI_NS}">` +
  `<h:MajorVersion>${EXCHANGE_BUILD.major}</h:MajorVersion><h:MinorVersion>${EXCHANGE_BUILD.minor}</h:MinorVersion>` +
  `<h:MajorBuildNumber>${EXCHANGE_BUILD.majorBuild}</h:MajorBuildNumber><h:MinorBuildNumber>${EXCHANGE_BUILD.minorBuild}</h:MinorBuildNumber>` +
  `<h:Version>Exchange2015</h:Version></h:ServerVersionInfo>`;

function envelope(action: string, body: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" xmlns:a="${WS_ADDRESSING_NS}">` +
      `<s:Header><a:Action s:mustUnderstand="1">${escapeXml(action)}</a:Action>${SERVER_VERSION_INFO}</s:Header>` +
      `<s:Body>${body}</s:Body></s:Envelope>`,
  );
}

/**
 * WCF's answer to a message no operation takes (GetFederationInformation, …): an
 * ActionNotSupported fault naming a ContractFilter mismatch — exchangelib reads exactly
 * this as "the server does not speak this version" rather than as a broken server.
 */
function actionNotSupported(action: string): string {
  return (
    `<s:Fault><faultcode xmlns:f="http://schemas.microsoft.com/ws/2005/05/addressing/none">f:ActionNotSupported</faultcode>` +
    `<faultstring xml:lang="en-US">The message with Action '${escapeXml(action)}' cannot be processed at the receiver, due to a ContractFilter mismatch at the EndpointDispatcher.</faultstring></s:Fault>`
  );
}

interface SoapAutodiscoverAnswer {
  status: number;
  /** The whole envelope, encoded. */
  envelope: Buffer;
}

/**
 * Answers one SOAP Autodiscover request body (SOAP 1.1 with WS-Addressing): per-user and
 * per-setting errors on HTTP 200, a fault on HTTP 500 for what is no request at all. The
 * operation is the one the Action names, as WCF dispatches, and the Body must hold its
 * request message; a request without an Action is dispatched on the Body's element.
 */
export async function answerSoapAutodiscover(body: XmlRequestBody, context: AutodiscoverContext): Promise<SoapAutodiscoverAnswer> {
  let request;
  try {
    request = readSoapRequest(xmlRequestText(body), HEADER_RULES);
    if (request.headers.length > 1) throw new MalformedEnvelope('the message has more than one WS-Addressing Action header');
  } catch (error) {
    if (error instanceof MalformedEnvelope) return fault(soapFault(error.faultCode, error.message));
    throw error;
  }
  const { operation: requestMessage, headers } = request;
  const named =
    requestMessage.ns === AUTODISCOVER_NS && requestMessage.local.endsWith(REQUEST_MESSAGE)
      ? requestMessage.local.slice(0, -REQUEST_MESSAGE.length)
      : requestMessage.local;
  const action = headers[0]?.text.trim() ?? `${ACTION_BASE}${named}`;
  const operation = action.startsWith(ACTION_BASE) ? AUTODISCOVER_OPERATIONS.get(action.slice(ACTION_BASE.length)) : undefined;
  if (!operation) return fault(actionNotSupported(action));
  if (requestMessage.ns !== AUTODISCOVER_NS || named !== operation.name) {
    const expected = `${operation.name}${REQUEST_MESSAGE}`;
    return fault(
      soapFault(
        'Client',
        `The Action '${action}' expects the Body to hold '${expected}' in the namespace '${AUTODISCOVER_NS}', not '${requestMessage.local}'.`,
      ),
    );
  }
  const args = readArguments(operation, requestMessage);
  const message = args instanceof RequestError ? operation.refuse(args) : await operation.run(args, context);
  return { status: 200, envelope: envelope(`${ACTION_BASE}${operation.name}Response`, message) };
}

/**
 * The operation's arguments, or the request-wide error its read refused them with. The
 * readers EWS shares (soap-args: text where the schema has text, a value of its type)
 * refuse as EWS answers, with a schema-validation error; here that is the same refusal
 * as Autodiscover's own, InvalidRequest on HTTP 200.
 */
function readArguments(operation: AutodiscoverOperation, requestMessage: XmlElement): unknown {
  try {
    return operation.read(requestMessage);
  } catch (error) {
    if (error instanceof RequestError) return error;
    if (error instanceof BridgeError && error.responseCode === 'ErrorSchemaValidation') return invalidRequest(error.message);
    throw error;
  }
}

const fault = (content: string): SoapAutodiscoverAnswer => ({ status: 500, envelope: envelope(FAULT_ACTION, content) });

/** A fault for what never reached an operation: a failure of the bridge itself (its details in the log only), a body refused unread. */
export const endpointFault = (faultCode: 'Client' | 'Server', reason: string): Buffer => envelope(FAULT_ACTION, soapFault(faultCode, reason));
