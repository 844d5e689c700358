const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/** What XML 1.0 cannot carry, as a character class's body. */
const NOT_IN_XML = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF\\uD800-\\uDFFF';
const TEXT_ESCAPED = new RegExp(`[&<>"'${NOT_IN_XML}]`, 'gu');
/** In an attribute, tab, LF and CR too: a parser reads them there as spaces (XML 1.0 §3.3.3), a character reference as themselves. */
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...ESCAPES, '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
const ATTRIBUTE_ESCAPED = new RegExp(`[&<>"'\\t\\n\\r${NOT_IN_XML}]`, 'gu');

/**
 * Escapes text for element content (attributes: escapeAttribute), and drops what XML 1.0
 * cannot carry (controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates — with the `u`
 * flag the class matches a surrogate only when it is unpaired). Imports refuse such
 * characters already; this keeps data from any other way in from breaking an answer.
 */
export function escapeXml(value: string): string {
  return value.replace(TEXT_ESCAPED, (c) => ESCAPES[c] ?? '');
}

/** escapeXml for an attribute's value: a ConvertId's Mailbox sent as `x&#9;y` came back with a raw tab, read as a space. */
function escapeAttribute(value: string): string {
  return value.replace(ATTRIBUTE_ESCAPED, (c) => ATTRIBUTE_ESCAPES[c] ?? '');
}

type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * One element: `<name attrs>children</name>`. Children are already XML; text must go
 * through `text()`. Undefined attributes are left out, so optional ones read naturally.
 */
export function element(name: string, attributes: Attributes = {}, ...children: (string | undefined)[]): string {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) attrs += ` ${key}="${escapeAttribute(String(value))}"`;
  }
  const content = children.filter((child) => child !== undefined).join('');
  return content === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** An element holding text, or nothing when there is no value — EWS leaves unset fields out. */
export function text(name: string, value: string | number | boolean | undefined): string | undefined {
  return value === undefined ? undefined : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * A value without the XML white space around it (XML 1.0 §2.3, `S`: space, tab, CR, LF), the
 * only blanks a schema type's whiteSpace facet removes. JavaScript's trim took U+00A0, U+3000
 * and U+FEFF too, so `<Email>` with a no-break space was the address, which the photo URLs
 * refuse as not one, and `IdOnly` with one a BaseShape.
 */
export function withoutXmlSpaceAround(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isXmlSpace(text.charCodeAt(start))) start++;
  while (end > start && isXmlSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}
