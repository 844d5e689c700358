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
  const declared = (prefix: string, attributes: string) => {
    const name = prefix === '' ? 'xmlns' : `xmlns:${prefix.slice(0, -1)}`;
    return new RegExp(`\\s${name.replace(/[.]/g, '\\.')}="([^"]*)"`).exec(attributes)?.[1];
  };
  if (declared(e, envelopeAttributes) !== SOAP_ENVELOPE_NS) return undefined;
  if ((declared(m, operationAttributes) ?? declared(m, envelopeAttributes)) !== MESSAGES_NS) return undefined;
  return { email: email.trim(), sizeCode: size.trim() };
}
