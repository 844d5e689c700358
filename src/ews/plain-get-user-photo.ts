import { MESSAGES_NS, SOAP_ENVELOPE_NS } from './namespaces.js';

const NAME = '[A-Za-z_][\\w.-]*';
const ATTRIBUTE = `\\s+${NAME}(?::${NAME})?="[^"<&]*"`;
const EMPTY_ELEMENT = `\\s*<${NAME}(?::${NAME})?(?:${ATTRIBUTE})*\\s*/>`;

/**
 * A GetUserPhoto request in the plain shape every client sends: optional XML
 * declaration, an Envelope with namespace declarations only, a Header of empty elements
 * (RequestServerVersion and the like), and Email then SizeRequested as plain text.
 * The grammar admits only well-formed XML without DTDs or entity references, so a
 * match is safe to answer without a full parse; anything else takes the full path.
 */
const PLAIN_REQUEST = new RegExp(
  '^\\s*(?:<\\?xml[^?>]*\\?>)?\\s*' +
    `<(?<e>${NAME}:)?Envelope(?<envelopeAttributes>(?:${ATTRIBUTE})*)\\s*>\\s*` +
    `(?:<\\k<e>Header\\s*/>|<\\k<e>Header\\s*>(?:${EMPTY_ELEMENT})*\\s*</\\k<e>Header>)?\\s*` +
    '<\\k<e>Body\\s*>\\s*' +
    `<(?<m>${NAME}:)?GetUserPhoto(?<operationAttributes>(?:${ATTRIBUTE})*)\\s*>\\s*` +
    '<\\k<m>Email>(?<email>[^<&]*)</\\k<m>Email>\\s*' +
    '<\\k<m>SizeRequested>(?<size>[^<&]*)</\\k<m>SizeRequested>\\s*' +
    '</\\k<m>GetUserPhoto>\\s*</\\k<e>Body>\\s*</\\k<e>Envelope>\\s*$',
);

export interface PlainPhotoRequest {
  email: string;
  sizeCode: string;
}

/** The request's Email and SizeRequested, when it is a plain GetUserPhoto; undefined otherwise. */
export function matchPlainGetUserPhoto(xml: string): PlainPhotoRequest | undefined {
  const match = PLAIN_REQUEST.exec(xml);
  if (!match?.groups) return undefined;
  const { e = '', m = '', envelopeAttributes = '', operationAttributes = '', email = '', size = '' } = match.groups;
  const onEnvelope = namespaceDeclarations(envelopeAttributes);
  const onOperation = namespaceDeclarations(operationAttributes);
  const envelopePrefix = e.slice(0, -1);
  const messagesPrefix = m.slice(0, -1);
  if (onEnvelope.get(envelopePrefix) !== SOAP_ENVELOPE_NS) return undefined;
  if ((onOperation.get(messagesPrefix) ?? onEnvelope.get(messagesPrefix)) !== MESSAGES_NS) return undefined;
  return { email: email.trim(), sizeCode: size.trim() };
}

const XMLNS = /\sxmlns(?::([\w.-]+))?="([^"]*)"/g;

/** Prefix ('' for the default namespace) → namespace, as an element's attributes declare them. */
function namespaceDeclarations(attributes: string): Map<string, string> {
  return new Map([...attributes.matchAll(XMLNS)].map((declaration) => [declaration[1] ?? '', declaration[2]!]));
}
