import sax from 'sax';
import { SOAP_ENVELOPE_NS } from './namespaces.js';

export interface ScannedRequest {
  /** Local name and namespace of the first element inside soap:Body — what is asked for. */
  operation: string;
  namespace: string;
}

export class MalformedEnvelope extends Error {}

/**
 * Reads a request once with a strict streaming parser before node-soap sees it: it must
 * be well-formed XML, a SOAP 1.1 envelope, and carry no DTD (no entity tricks), and its
 * Body's first child names the operation whatever prefixes the client chose.
 */
export function scanEnvelope(xml: string): ScannedRequest {
  const parser = sax.parser(true, { xmlns: true, position: false });
  let depth = 0;
  let inBody = false;
  let found: ScannedRequest | undefined;
  let problem: string | undefined;

  parser.ondoctype = () => {
    problem ??= 'a DOCTYPE is not allowed in a SOAP message';
  };
  parser.onopentag = (node) => {
    const tag = node as sax.QualifiedTag;
    depth++;
    if (depth === 1 && (tag.local !== 'Envelope' || tag.uri !== SOAP_ENVELOPE_NS)) problem ??= 'the root element is not a SOAP 1.1 Envelope';
    if (depth === 2 && tag.local === 'Body' && tag.uri === SOAP_ENVELOPE_NS) inBody = true;
    else if (depth === 3 && inBody && !found) found = { operation: tag.local, namespace: tag.uri };
  };
  parser.onclosetag = () => {
    if (depth === 2) inBody = false;
    depth--;
  };
  parser.onerror = (error) => {
    throw new MalformedEnvelope(`the request is not well-formed XML: ${error.message.split('\n')[0]}`);
  };
  parser.write(xml).close();
  if (problem) throw new MalformedEnvelope(problem);
  if (!found) throw new MalformedEnvelope('the SOAP Body names no operation');
  return found;
}
