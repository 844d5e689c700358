import { MESSAGES_NS, SERVER_VERSION_INFO, SOAP_ENVELOPE_NS, TYPES_NS } from './namespaces.js';
import { escapeXml } from './xml.js';

/**
 * A complete SOAP 1.1 response, for the answers the bridge writes without node-soap:
 * faults for envelopes it cannot read, and errors for operations it does not serve.
 */
export function soapEnvelope(body: string): string {
  const header = `<s:Header>${SERVER_VERSION_INFO}</s:Header>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" xmlns:m="${MESSAGES_NS}" xmlns:t="${TYPES_NS}">` +
    `${header}<s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** A SOAP 1.1 fault: for a request that is not a readable envelope. No stack, ever. */
export function soapFault(faultCode: 'Client' | 'Server', reason: string): string {
  return soapEnvelope(`<s:Fault><faultcode>s:${faultCode}</faultcode><faultstring xml:lang="en-US">${escapeXml(reason)}</faultstring></s:Fault>`);
}
