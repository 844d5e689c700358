import iconv from 'iconv-lite';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { hasLoneSurrogate } from '../domain/plain-text.js';
import { hasUtf8Mark, strictUtf8, textBehindMark } from '../domain/text-bytes.js';
import { SOAP_ENVELOPE_NS, TYPES_NS } from './namespaces.js';
import { PRIVILEGE_HEADERS } from './impersonation.js';
import { withoutXmlSpaceAround } from './xml.js';

/** One element of a request: local name, namespace, attributes by local name, child elements, text. */
export interface XmlElement {
  readonly local: string;
  readonly ns: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * What a request may cost to read. EWS requests for these operations are a few
 * kilobytes with a few hundred elements (exchangelib's GetItem: ~115 FieldURIs plus its
 * ids); anything near these limits is not a client but an attempt to make the parse
 * expensive, and is refused before it is.
 */
export const SOAP_READ_LIMITS = {
  bytes: 1024 * 1024,
  depth: 32,
  attributesPerElement: 32,
  attributes: 4000,
  elements: 2000,
  /** Of an element's text, and of one attribute's value (no attribute in EWS comes near). */
  textCharacters: 64 * 1024,
  /**
   * Elements whose text may be as long as the body: a SyncFolderItems SyncState lists the
   * contacts the client has (sync-state.ts), some 7 characters each, and is read once, in
   * linear time.
   */
  longTextElements: new Set(['SyncState']),
  /** Of an element's or attribute's name, prefix included: answers and faults repeat names (an unknown operation's, an unbound prefix). */
  nameCharacters: 256,
  /**
   * Character and entity references (`&#x41;`, `&amp;`), in all: each costs the parser a
   * microsecond, three times a plain character's share, and a header it drops anyway
   * carried 175,000 of them (186 ms of the event loop per 1 MiB request).
   */
  references: 4096,
  /**
   * Line breaks and tabs, in all: the parser turns each one over more than a plain
   * character (a CR in an attribute value costs it four times as much: 175 ms for a 1 MiB
   * request, against 48 for letters). A request pretty-printed with tabs at its deepest,
   * 2,000 elements a line each, has some 20,000.
   */
  lineBreaksAndTabs: 32 * 1024,
  /** Comments, CDATA sections and processing instructions, in all: clients send the one `<?xml …?>`; each costs a microsecond. */
  otherMarkup: 256,
  /**
   * The characters inside them, in all: the parser reads a `]` in a CDATA section, a `-` in a
   * comment or a `?` in a processing instruction six times slower than text (one CDATA
   * section of `]` in a 1 MiB request held the event loop 220–370 ms, letters 35).
   */
  otherMarkupCharacters: 64 * 1024,
} as const;

/** What is counted before a parse, by the marks that begin it: a scan each, far cheaper than the parse it spares. */
const COUNTED_BEFORE_PARSING = [
  { marks: ['&'], limit: SOAP_READ_LIMITS.references, what: 'character or entity references' },
  { marks: ['\n', '\r', '\t'], limit: SOAP_READ_LIMITS.lineBreaksAndTabs, what: 'line breaks and tabs' },
];

/**
 * A request that is no SOAP request the bridge can read: a `Client` fault; one whose
 * header must be understood and is not, the `MustUnderstand` fault SOAP 1.1 §4.2.3 names;
 * one in another SOAP version's Envelope, `VersionMismatch`.
 */
export class MalformedEnvelope extends Error {
  constructor(
    message: string,
    readonly faultCode: 'Client' | 'MustUnderstand' | 'VersionMismatch' = 'Client',
  ) {
    super(message);
  }
}

/** A request body as it came, and the Content-Type that says what it is in. */
export interface XmlRequestBody {
  bytes: Buffer;
  contentType: string | undefined;
}

/**
 * An XML request's text, in the encoding it is in: a byte-order mark's (UTF-16, as WCF
 * clients set to it send, UTF-32, or UTF-8: "BOMs are given precedence over the MIME layer", RFC
 * 7303), else the Content-Type's charset (RFC 7303 §3.2 puts it before the document's own
 * word), else the encoding declaration's, else UTF-8, as EWS clients write. Bytes that are no
 * text in that encoding, or an encoding not taken here, are a MalformedEnvelope: "It is a
 * fatal error if an XML entity is determined … to be in a certain encoding but contains byte
 * sequences that are not legal in that encoding" (XML 1.0 §4.3.3). Read as UTF-8 whatever
 * they were, a Latin-1 'ü' had become U+FFFD and found no one.
 */
export function xmlRequestText({ bytes, contentType }: XmlRequestBody): string {
  const marked = textBehindMark(bytes);
  // UTF-16 decodes a surrogate without its pair to itself, which is no character: dropped on the way out, an answer named someone else.
  if (marked?.illFormedAt !== undefined) throw new MalformedEnvelope(`the request is not ${marked.encoding}`);
  if (marked !== undefined) return marked.text;
  const declared = CHARSET.exec(contentType ?? '')?.[1] ?? DECLARED_ENCODING.exec(bytes.toString('latin1', 0, DECLARATION_BYTES))?.[1];
  const encoding = hasUtf8Mark(bytes) ? 'utf-8' : (declared?.toLowerCase() ?? 'utf-8');
  if (encoding === 'utf-8' || encoding === 'utf8') {
    const text = strictUtf8(bytes);
    if (text !== undefined) return text;
    throw new MalformedEnvelope(declared === undefined ? 'the request is not UTF-8, and declares no other encoding' : 'the request is not UTF-8');
  }
  const named = encoding.slice(0, 40);
  if (!TAKEN_ENCODINGS.test(encoding) || !iconv.encodingExists(encoding)) throw new MalformedEnvelope(`the request's encoding '${named}' is not supported`);
  const text = iconv.decode(bytes, encoding);
  // What iconv puts for bytes that are no character; no legacy encoding has U+FFFD of its own.
  if (text.includes('\ufffd') || hasLoneSurrogate(text)) throw new MalformedEnvelope(`the request is not ${named}`);
  return text;
}

/**
 * The encodings a request may be in besides UTF-8: Unicode's others and the legacy character
 * sets of Windows, ISO and East Asia. Not UTF-7, which .NET (Exchange's) no longer decodes
 * ("SYSLIB0001: The UTF-7 encoding is insecure") and which lets markup be written as
 * `+ADw-` and cost ten times UTF-8's time to read (a 1 MiB body held the loop 1.1 s); nor
 * iconv's binary-to-text "encodings" (base64, hex).
 */
const TAKEN_ENCODINGS =
  /^(?:utf-?(?:16|32)(?:le|be)?|ucs-?2|(?:us-)?ascii|iso[-_]?8859-\d{1,2}|latin-?\d|(?:windows|cp)-?(?:125\d|874|932|936|949|950)|koi8-[ru]|shift[-_]jis|sjis|euc-(?:jp|kr)|gb2312|gbk|gb18030|big-?5)$/;
/** How far in an encoding declaration is looked for: the declaration is the document's start, blanks in it allowed. */
const DECLARATION_BYTES = 1024;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
const DECLARED_ENCODING = /^(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.-]*)["']/;

/** What a SOAP service reads of a request's headers. */
export interface SoapHeaderRules {
  /** The namespaces of the headers it understands: one outside them marked mustUnderstand is not processed. */
  understood: ReadonlySet<string>;
  /** The headers it reads, kept as trees; the rest are read and dropped. */
  kept: { ns: string; locals: ReadonlySet<string> };
}

/**
 * EWS understands every header it defines, in its types namespace; it reads ExchangeImpersonation,
 * DateTimePrecision and those asking for privileges (RequestServerVersion, TimeZoneContext, …
 * change nothing here).
 */
const EWS_HEADERS: SoapHeaderRules = {
  understood: new Set([TYPES_NS]),
  kept: { ns: TYPES_NS, locals: new Set(['ExchangeImpersonation', 'DateTimePrecision', ...PRIVILEGE_HEADERS]) },
};

interface SoapRequest {
  /** The first element inside soap:Body: what is asked for. */
  operation: XmlElement;
  /** The headers the rules keep, as many as were sent (for EWS: ExchangeImpersonation and DateTimePrecision, which the schema allows once each, and those asking for privileges). */
  headers: XmlElement[];
}

/**
 * Reads a SOAP 1.1 request once, in time linear in its size: a strict namespace-aware
 * parser (saxes checks duplicate attributes with a set, where sax compared each with all
 * before it) that refuses DTDs, undefined entities and characters XML forbids, with the
 * limits above counted as it goes. Headers but the ones the rules keep are read and dropped,
 * so only the Body and those headers are kept as trees. The envelope is held to SOAP 1.1 §4:
 * an optional Header, then one Body, elements alone in the three; a header entry marked
 * `mustUnderstand` outside the namespaces the service understands is not understood, and the
 * request is not processed.
 */
export function readSoapRequest(xml: string, rules: SoapHeaderRules = EWS_HEADERS): SoapRequest {
  return readTree(xml, rules);
}

/** Reads a plain XML request (POX Autodiscover) the same way, under the same limits: the root element and all it holds. */
export function readXmlDocument(xml: string): XmlElement {
  return readTree(xml, 'document').operation;
}

/** `shape`: a plain XML document, or a SOAP request read by the service's header rules. */
function readTree(xml: string, shape: SoapHeaderRules | 'document'): SoapRequest {
  for (const { marks, limit, what } of COUNTED_BEFORE_PARSING) {
    if (countUpTo(xml, marks, limit) > limit) throw new MalformedEnvelope(`the request has more than ${limit} ${what}`);
  }
  const other = otherMarkupIn(xml);
  if (other.count > SOAP_READ_LIMITS.otherMarkup) {
    throw new MalformedEnvelope(`the request has more than ${SOAP_READ_LIMITS.otherMarkup} comments, CDATA sections and processing instructions`);
  }
  if (other.characters > SOAP_READ_LIMITS.otherMarkupCharacters) {
    throw new MalformedEnvelope(
      `the request has more than ${SOAP_READ_LIMITS.otherMarkupCharacters} characters in comments, CDATA sections and processing instructions`,
    );
  }
  const parser = new SaxesParser({ xmlns: true, position: false });
  // `kept`: the element belongs to the operation's tree; headers are read and dropped.
  const open: { element: XmlElement; kept: boolean }[] = [];
  let elements = 0;
  let attributes = 0;
  let allAttributes = 0;
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  let operation: XmlElement | undefined;
  const headers: XmlElement[] = [];

  const refuse = (reason: string): never => {
    throw new MalformedEnvelope(reason);
  };
  parser.on('doctype', () => refuse(`a DOCTYPE is not allowed in ${shape === 'document' ? 'a request' : 'a SOAP message'}`));
  // XML 1.1 lets in characters 1.0 forbids (&#x1;); Exchange's .NET reader refuses any version but 1.0.
  parser.on('xmldecl', ({ version }) => {
    if (version !== undefined && version !== '1.0') refuse(`the XML version '${version.slice(0, 16)}' is not supported: send XML 1.0`);
  });
  const checkName = (name: string) => {
    if (name.length > SOAP_READ_LIMITS.nameCharacters) refuse(`a name in the request is longer than ${SOAP_READ_LIMITS.nameCharacters} characters`);
  };
  parser.on('opentagstart', (tag) => {
    checkName(tag.name);
    attributes = 0;
    if (++elements > SOAP_READ_LIMITS.elements) refuse(`the request has more than ${SOAP_READ_LIMITS.elements} elements`);
    if (open.length >= SOAP_READ_LIMITS.depth) refuse(`the request nests deeper than ${SOAP_READ_LIMITS.depth} elements`);
  });
  parser.on('attribute', (attribute) => {
    checkName(attribute.name);
    if (++attributes > SOAP_READ_LIMITS.attributesPerElement) refuse(`an element has more than ${SOAP_READ_LIMITS.attributesPerElement} attributes`);
    if (++allAttributes > SOAP_READ_LIMITS.attributes) refuse(`the request has more than ${SOAP_READ_LIMITS.attributes} attributes`);
    if (attribute.value.length > SOAP_READ_LIMITS.textCharacters) refuse(`an attribute's value is longer than ${SOAP_READ_LIMITS.textCharacters} characters`);
  });
  parser.on('opentag', (tag) => {
    const element = elementOf(tag);
    const parent = open[open.length - 1];
    let kept = false;
    if (!parent && shape === 'document') {
      kept = true;
      operation = element;
    } else if (!parent) {
      if (element.local !== 'Envelope') refuse('the root element is not a SOAP 1.1 Envelope');
      // SOAP 1.1 §4.4.1: an Envelope of another namespace (SOAP 1.2's) is a VersionMismatch, not the client's mistake in what it asked.
      if (element.ns !== SOAP_ENVELOPE_NS)
        throw new MalformedEnvelope(`the Envelope's namespace '${element.ns}' is not SOAP 1.1's, '${SOAP_ENVELOPE_NS}'`, 'VersionMismatch');
    } else if (shape !== 'document' && open.length === 1) {
      const structural = element.ns === SOAP_ENVELOPE_NS && (element.local === 'Header' || element.local === 'Body');
      if (body) {
        // SOAP 1.1 §4.1.1: what may follow the Body is namespace-qualified, and is no second Header or Body.
        if (structural || element.ns === '') refuse(`the SOAP Envelope holds ${element.local} after its Body`);
      } else if (!structural) refuse(`the SOAP Envelope holds ${element.local} of the namespace '${element.ns}', where it has only its Header and Body`);
      else if (element.local === 'Header' && header) refuse('the SOAP Envelope holds a second Header');
      else if (element.local === 'Body') body = element;
      else header = element;
    } else if (parent.element === body) {
      // Exchange's schema has one operation in a Body; a second was answered as if absent.
      if (operation) refuse('the SOAP Body holds more than one operation');
      kept = true;
      operation = element;
    } else if (parent.element === header) {
      if (shape !== 'document' && mustBeUnderstood(tag) && !shape.understood.has(element.ns))
        throw new MalformedEnvelope(
          `The header '${element.local}' from the namespace '${element.ns}' was not understood by the recipient of this message.`,
          'MustUnderstand',
        );
      kept = shape !== 'document' && element.ns === shape.kept.ns && shape.kept.locals.has(element.local);
      if (kept) headers.push(element);
    } else if (parent.kept) {
      kept = true;
      parent.element.children.push(element);
    }
    open.push({ element, kept });
  });
  const appendText = (text: string) => {
    const top = open[open.length - 1];
    if (!top?.kept) {
      // The Envelope, its Header and its Body hold elements alone (SOAP 1.1 §4.1.1).
      if (top && (open.length === 1 || top.element === header || top.element === body) && NOT_BLANK.test(text))
        refuse(`the SOAP ${top.element.local} holds text`);
      return;
    }
    if (top.element.text.length + text.length > SOAP_READ_LIMITS.textCharacters && !SOAP_READ_LIMITS.longTextElements.has(top.element.local))
      refuse(`an element holds more than ${SOAP_READ_LIMITS.textCharacters} characters of text`);
    top.element.text += text;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.on('closetag', () => open.pop());
  parser.on('error', (error) => refuse(`the request is not well-formed XML: ${error.message.split('\n')[0]}`));

  parser.write(xml).close();
  if (!operation) return refuse(shape === 'document' ? 'the request is empty' : 'the SOAP Body names no operation');
  return { operation, headers };
}

const NOT_BLANK = /[^ \t\r\n]/;

/**
 * Whether a header entry is marked for this receiver to understand: SOAP 1.1 §4.2.3 has
 * `mustUnderstand` "1" or "0" (WCF, which serves Exchange, takes "true" and "false" too),
 * and §4.2.2 an `actor` naming who the entry is for — this service is the request's
 * ultimate receiver (no actor) and the next one (`…/soap/actor/next`), never another.
 */
function mustBeUnderstood(tag: SaxesTagNS): boolean {
  let marked = false;
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.uri !== SOAP_ENVELOPE_NS) continue;
    const value = withoutXmlSpaceAround(attribute.value);
    if (attribute.local === 'actor' && value !== NEXT_ACTOR && value !== '') return false;
    if (attribute.local !== 'mustUnderstand') continue;
    if (value === '1' || value === 'true') marked = true;
    else if (value !== '0' && value !== 'false') throw new MalformedEnvelope(`a header's mustUnderstand is '${value.slice(0, 20)}', not 1 or 0`);
  }
  return marked;
}

const NEXT_ACTOR = 'http://schemas.xmlsoap.org/soap/actor/next';

/** How often the marks occur in a text, counted up to one past `limit`. */
function countUpTo(xml: string, marks: readonly string[], limit: number): number {
  let count = 0;
  for (const mark of marks) {
    for (let at = xml.indexOf(mark); at !== -1 && count <= limit; at = xml.indexOf(mark, at + 1)) count++;
  }
  return count;
}

/**
 * The comments, CDATA sections and processing instructions (and a DOCTYPE, up to its first
 * `>`): how many, and the characters in them, counted up to a little past their limits in one
 * scan. Each is skipped whole, and the next `<!` and `<?` are each looked for only once the
 * scan has passed the last one found, so the text is read about once whatever it holds.
 */
function otherMarkupIn(xml: string): { count: number; characters: number } {
  let count = 0;
  let characters = 0;
  let bang = xml.indexOf('<!');
  let question = xml.indexOf('<?');
  while ((bang !== -1 || question !== -1) && count <= SOAP_READ_LIMITS.otherMarkup && characters <= SOAP_READ_LIMITS.otherMarkupCharacters) {
    const at = question === -1 || (bang !== -1 && bang < question) ? bang : question;
    const end = at === question ? '?>' : xml.startsWith('<!--', at) ? '-->' : xml.startsWith('<![CDATA[', at) ? ']]>' : '>';
    const close = xml.indexOf(end, at + 2);
    const stop = close === -1 ? xml.length : close;
    count++;
    characters += stop - at;
    if (bang !== -1 && bang < stop) bang = xml.indexOf('<!', stop);
    if (question !== -1 && question < stop) question = xml.indexOf('<?', stop);
  }
  return { count, characters };
}

function elementOf(tag: SaxesTagNS): XmlElement {
  const attributes = new Map<string, string>();
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.prefix !== 'xmlns' && attribute.name !== 'xmlns') attributes.set(attribute.local, attribute.value);
  }
  return { local: tag.local, ns: tag.uri, attributes, children: [], text: '' };
}
